// `credential_process` (a profile setting): a command that prints temporary credentials as JSON.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::s3 {

/// The command's words, split as botocore splits it (Python's shlex.split, POSIX rules:
/// whitespace separates, '...' is literal, "..." keeps \" and \\ escapes, a backslash outside
/// quotes escapes the next character). No shell runs it: no variables, no globbing, no pipes.
/// errc::invalid_argument for an unterminated quote or a trailing backslash, or no words.
result<std::vector<std::string>> split_command_line(std::string_view command);

/// The command's output: {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
/// "SessionToken": "..." (optional), "Expiration": "ISO 8601" (optional)}. errc::no_credentials
/// saying what is wrong (never the output itself: it holds the secret).
result<credentials> parse_credential_process_output(std::string_view output);

/// Runs the command (no shell; stdin /dev/null; the daemon's environment) and parses what it
/// prints. Blocks the calling thread until it exits or `timeout` passes (then it is killed).
/// A non-zero exit fails with the first line of its stderr (bounded), never its stdout.
result<credentials> run_credential_process(std::string_view command,
                                           std::chrono::milliseconds timeout);

}  // namespace mps3::s3
