// What the mps3ctl unit tests share: a command line parsed (it must parse) and planned into a
// conversation (it must plan). Header-only: each test file includes it in its own namespace.
#pragma once

#include "ctl/cli.hpp"
#include "ctl/commands.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>

namespace mps3::ctl::test {

inline invocation parsed(std::initializer_list<std::string> args) {
    std::ostringstream out;
    std::ostringstream err;
    auto outcome = parse_command_line(args, out, err);
    INFO(err.str());
    REQUIRE(outcome.inv.has_value());
    return std::move(*outcome.inv);
}

inline std::unique_ptr<conversation> planned(std::initializer_list<std::string> args) {
    auto talk = plan(parsed(args));
    INFO((talk ? std::string() : talk.err().message));
    REQUIRE(talk.has_value());
    return std::move(*talk);
}

}  // namespace mps3::ctl::test
