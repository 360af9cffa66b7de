// commands.hpp — the subcommands of the `backplane` tool. Each registers
// itself on the CLI11 app; main.cpp only wires them together.
//
// A subcommand's callback must not exit the process: it stores its exit code
// with bp::cli::set_exit_code() (cli_common.hpp) and main() returns it.
#pragma once

#include <CLI/CLI.hpp>

// `backplane devices`: plugins, their state and devices (devices_command.cpp).
void register_devices_command(CLI::App& app);
// `backplane doctor`: the full diagnosis and verdict (doctor_command.cpp).
void register_doctor_command(CLI::App& app);
// `backplane train`: train the reference CNN (train_command.cpp; optional).
void register_train_command(CLI::App& app);
// `backplane evaluate`: check a model saved by `train --save` on any backend (evaluate_command.cpp; with train).
void register_evaluate_command(CLI::App& app);
// `backplane conformance`: run the SDK conformance kit on a plugin file (conformance_command.cpp).
void register_conformance_command(CLI::App& app);
