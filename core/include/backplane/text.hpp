// backplane/text.hpp — the one rule for putting foreign bytes into a report.
// Environment values, file and folder names and names a plugin declares are
// arbitrary bytes; a report (JSON or text) must stay valid output whatever they
// are. printable_utf8() keeps every valid UTF-8 sequence as it is and writes each
// byte that is not part of one as the four visible characters `\xNN`, so the
// operator still sees the original bytes. Header-only so the core and the
// backplane tool apply the same rule without exporting C++ from the core.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bp {

namespace text_detail {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15,
// table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

// Appends the four characters `\xNN` for byte b.
inline void append_escaped(std::string& out, unsigned char b) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "\\x";
  out += hex[b >> 4];
  out += hex[b & 0xF];
}

}  // namespace text_detail

// True when every byte of s belongs to a well-formed UTF-8 sequence.
inline bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = text_detail::utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// s as valid UTF-8: valid sequences unchanged, each other byte as `\xNN`
// (lower-case hex), e.g. "x\xff" (bytes 'x', 0xFF) becomes the text `x\xff`.
inline std::string printable_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = text_detail::utf8_sequence_length(s, i);
    if (length > 0) {
      out.append(s.data() + i, length);
      i += length;
      continue;
    }
    text_detail::append_escaped(out, static_cast<unsigned char>(s[i++]));
  }
  return out;
}

// printable_utf8(s) for a single line of text: control characters (bytes
// below 0x20 and 0x7F, newline and tab included) are written as `\xNN` too,
// so a name cannot start a line of its own (e.g. a fake "Verdict:" line).
inline std::string printable_line(std::string_view s) {
  std::string out;
  for (char c : printable_utf8(s)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b != 0x7F)
      out += c;
    else
      text_detail::append_escaped(out, b);
  }
  return out;
}

}  // namespace bp
