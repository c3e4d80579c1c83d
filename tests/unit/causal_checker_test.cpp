// The causal-consistency checker (tests/support/causal_checker.hpp) on hand-made histories: clean
// ones must pass, and every rule must fire on a history that breaks it, so that a clean run of
// the randomized engine test means something.
#include <doctest/doctest.h>

#include "causal_checker.hpp"

#include <optional>
#include <string>

namespace {

using namespace mps3::test::causal;
using opt = std::optional<std::string>;
const opt absent = std::nullopt;

opt v(const char* text) {
    return std::string(text);
}

/// p writes key=value having observed what the checker knows it observed.
write_id put(checker& c, process_id p, const char* key, const char* value) {
    return c.write(p, key, v(value), c.knowledge(p));
}
write_id del(checker& c, process_id p, const char* key) {
    return c.write(p, key, absent, c.knowledge(p));
}

std::string dump(const checker& c) {
    return c.report(50);
}

}  // namespace

TEST_CASE("vclock: include, merge, meet, contains, equality with trailing zeros") {
    vclock a(3);
    a.include(0, 2);
    a.include(2, 1);
    a.include(0, 1);  // never goes back
    CHECK(a.str() == "[2,0,1]");
    CHECK(a.contains(0, 1));
    CHECK(a.contains(0, 2));
    CHECK_FALSE(a.contains(0, 3));
    CHECK_FALSE(a.contains(1, 1));
    CHECK_FALSE(a.contains(0, 0));  // seq 0 is no write
    vclock b;
    b.include(1, 4);
    b.include(0, 1);
    vclock m = a;
    m.merge(b);
    CHECK(m.str() == "[2,4,1]");
    CHECK(vclock::meet(a, b).str() == "[1,0,0]");
    vclock c(5);
    c.include(0, 2);
    c.include(2, 1);
    CHECK(c == a);
    CHECK_FALSE(c == m);
    CHECK(a[7] == 0);
}

TEST_CASE("clean histories pass: a causal chain, concurrent writes, deletes, an atomic batch") {
    checker c(3);
    // p0 writes k; p1 sees it and writes j; p2 sees j, and k in the same burst.
    const auto a = put(c, 0, "k", "a");
    c.notified(0, "k", v("a"));
    c.check_view(0);
    c.notified(1, "k", v("a"));
    c.check_view(1);
    const auto b = put(c, 1, "j", "b");
    c.notified(1, "j", v("b"));
    CHECK(c.knowledge(1).contains(a.process, a.seq));
    c.notified(2, "j", v("b"));  // k not notified yet: fine within one burst
    c.notified(2, "k", v("a"));
    c.check_view(2);
    c.read(2, {{"k", v("a")}, {"j", v("b")}, {"x", absent}});
    c.notified(0, "j", v("b"));
    CHECK(c.knowledge(2).contains(b.process, b.seq));

    // Concurrent writes of x: every process agrees that d wins over c.
    put(c, 0, "x", "c");
    c.notified(0, "x", v("c"));
    put(c, 2, "x", "d");
    c.notified(2, "x", v("d"));
    c.notified(0, "x", v("d"));
    c.notified(1, "x", v("c"));
    c.notified(1, "x", v("d"));

    // p1 deletes k after seeing it; everyone sees it go.
    del(c, 1, "k");
    c.notified(1, "k", absent);
    c.notified(0, "k", absent);
    c.notified(2, "k", absent);
    c.read(0, {{"k", absent}});

    // An atomic batch, seen whole.
    c.write_all(0, {{"m", v("e")}, {"n", v("f")}}, c.knowledge(0));
    c.notified(0, "m", v("e"));
    c.notified(0, "n", v("f"));
    c.notified(1, "n", v("f"));
    c.notified(1, "m", v("e"));
    for (process_id p = 0; p < 3; ++p) {
        c.check_view(p);
    }
    // A concurrent delete may win over a put the reader saw: no violation.
    put(c, 2, "z", "g");
    c.notified(2, "z", v("g"));
    c.notified(1, "z", v("g"));
    del(c, 0, "z");  // p0 never saw g
    c.notified(1, "z", absent);
    c.check_view(1);
    c.finish();
    CHECK_MESSAGE(c.violations().empty(), dump(c));
    CHECK(c.writes() == 9);
    CHECK(c.observations() == 25);
}

TEST_CASE("phantom: a value nobody wrote, or written to another key") {
    checker c(2);
    put(c, 0, "k", "a");
    c.notified(1, "k", v("zzz"));
    c.read(1, {{"j", v("a")}});
    c.check_view(1);  // the phantom is not reported again
    CHECK_MESSAGE(c.count(rule::phantom) == 2, dump(c));
    CHECK(c.count(rule::notification) == 1);  // nor was j=a notified
    CHECK(c.violations().size() == 3);
    CHECK(c.violations()[0].process == 1);
    CHECK(c.violations()[0].key == "k");
}

TEST_CASE("read_your_writes: own put lost, or an older write shown after it") {
    SUBCASE("own write disappears") {
        checker c(2);
        put(c, 0, "k", "a");
        c.notified(0, "k", v("a"));
        c.notified(0, "k", absent);  // no delete exists: only the initial absence
        CHECK_MESSAGE(c.count(rule::read_your_writes) == 1, dump(c));
    }
    SUBCASE("the write it overwrote comes back") {
        checker c(2);
        put(c, 1, "k", "b");
        c.notified(0, "k", v("b"));
        put(c, 0, "k", "a");  // b precedes a
        c.notified(0, "k", v("a"));
        c.read(0, {{"k", v("b")}});
        CHECK_MESSAGE(c.count(rule::read_your_writes) == 1, dump(c));
        CHECK(c.count(rule::no_return) == 1);  // b was replaced, then back
    }
    SUBCASE("a view that never showed the own write") {
        checker c(1);
        put(c, 0, "k", "a");
        c.check_view(0);
        c.check_view(0);  // reported once
        CHECK_MESSAGE(c.count(rule::read_your_writes) == 1, dump(c));
        CHECK(c.violations().size() == 1);
    }
}

TEST_CASE("monotonic_reads: a key goes back in causal order") {
    SUBCASE("notifications") {
        checker c(2);
        put(c, 0, "k", "a");
        put(c, 0, "k", "b");  // a precedes b (program order)
        c.notified(1, "k", v("b"));
        c.notified(1, "k", v("a"));
        CHECK_MESSAGE(c.count(rule::monotonic_reads) == 1, dump(c));
        CHECK(c.count(rule::no_return) == 0);  // p1 never saw a before
        c.finish();
        CHECK(c.count(rule::arbitration) == 1);  // a < b causally, seen b then a
    }
    SUBCASE("reads, and a delete that causally precedes the put") {
        checker c(3, false);
        del(c, 1, "k");
        put(c, 1, "j", "c");  // depends on the delete
        c.notified(0, "j", v("c"));
        put(c, 0, "k", "a");  // p0 knows the delete: it precedes a
        c.read(2, {{"k", v("a")}});
        c.read(2, {{"k", absent}});  // neither the initial absence nor that delete will do
        CHECK_MESSAGE(c.count(rule::monotonic_reads) == 1, dump(c));
        CHECK(c.violations().size() == 1);
    }
}

TEST_CASE("causal_cut: a dependency of something seen is missing or older") {
    SUBCASE("view after the burst misses the dependency") {
        checker c(3);
        put(c, 0, "k", "a");
        c.notified(1, "k", v("a"));
        put(c, 1, "j", "b");  // depends on k=a
        c.notified(2, "j", v("b"));
        c.check_view(2);  // k is still absent for p2
        CHECK_MESSAGE(c.count(rule::causal_cut) == 1, dump(c));
        CHECK(c.violations().front().key == "k");
        CHECK(c.violations().front().process == 2);
    }
    SUBCASE("one atomic read shows the effect without its cause") {
        checker c(3, false);
        put(c, 0, "k", "a");
        c.notified(1, "k", v("a"));
        put(c, 1, "j", "b");
        c.read(2, {{"k", absent}, {"j", v("b")}});
        CHECK_MESSAGE(c.count(rule::causal_cut) == 1, dump(c));
    }
    SUBCASE("a later notification shows the key older than the dependency") {
        checker c(3);
        put(c, 0, "k", "old");
        put(c, 0, "k", "a");
        c.notified(1, "k", v("a"));
        put(c, 1, "j", "b");
        c.notified(2, "j", v("b"));
        c.notified(2, "k", v("old"));
        CHECK_MESSAGE(c.count(rule::causal_cut) == 1, dump(c));
        CHECK(c.count(rule::monotonic_reads) == 0);  // p2 never saw k itself
    }
    SUBCASE("an atomic batch seen in part") {
        checker c(2);
        c.write_all(0, {{"x", v("1")}, {"y", v("2")}}, c.knowledge(0));
        c.notified(1, "x", v("1"));
        c.check_view(1);
        CHECK_MESSAGE(c.count(rule::causal_cut) == 1, dump(c));
        CHECK(c.violations().front().key == "y");
    }
}

TEST_CASE("no_return: a replaced value comes back") {
    checker c(3);
    put(c, 0, "k", "a");
    put(c, 1, "k", "b");  // concurrent
    c.notified(2, "k", v("a"));
    c.notified(2, "k", v("b"));
    c.notified(2, "k", v("a"));
    CHECK_MESSAGE(c.count(rule::no_return) == 1, dump(c));
    CHECK(c.count(rule::monotonic_reads) == 0);  // a and b are concurrent
    // The same through a concurrent delete: seen, deleted, back.
    put(c, 0, "m", "x");
    del(c, 1, "m");
    c.notified(2, "m", v("x"));
    c.notified(2, "m", absent);  // p1's delete (the initial absence is ruled out by x)
    c.notified(2, "m", v("x"));
    CHECK_MESSAGE(c.count(rule::no_return) == 2, dump(c));
    CHECK(c.violations().size() == 2);
}

TEST_CASE("arbitration: two processes see concurrent writes win in opposite orders") {
    checker c(3);
    put(c, 0, "k", "a");
    c.notified(0, "k", v("a"));
    put(c, 1, "k", "b");
    c.notified(1, "k", v("b"));
    c.notified(0, "k", v("b"));                      // p0: a then b
    c.notified(1, "k", v("a"));                      // p1: b then a
    CHECK_MESSAGE(c.violations().empty(), dump(c));  // each process alone is fine
    c.finish();
    CHECK_MESSAGE(c.count(rule::arbitration) == 1, dump(c));
    CHECK(c.violations().size() == 1);
    CHECK(c.violations().front().key == "k");
}

TEST_CASE("notification: a read shows what no notification announced") {
    SUBCASE("complete notifications") {
        checker c(2);
        put(c, 0, "k", "a");
        c.notified(0, "k", v("a"));
        c.read(1, {{"k", v("a")}});  // p1 was never told
        c.read(1, {{"k", v("a")}});  // the read resynchronises the view: reported once
        del(c, 0, "k");
        c.read(0, {{"k", absent}});  // the delete was not notified
        CHECK_MESSAGE(c.count(rule::notification) == 2, dump(c));
    }
    SUBCASE("not checked without complete notifications") {
        checker c(2, false);
        put(c, 0, "k", "a");
        c.read(1, {{"k", v("a")}});
        c.check_view(1);
        CHECK_MESSAGE(c.violations().empty(), dump(c));
    }
}

TEST_CASE("malformed histories are reported and do not crash the checker") {
    checker c(2);
    put(c, 0, "k", "a");
    put(c, 1, "k", "a");  // same value again
    vclock future(2);
    future.include(1, 5);
    c.write(0, "j", v("b"), future);  // depends on writes p1 has not issued
    c.write(7, "j", v("c"), vclock());
    c.notified(9, "j", v("b"));
    c.write_all(0, {{"m", v("1")}, {"m", v("2")}}, c.knowledge(0));
    CHECK_MESSAGE(c.count(rule::malformed) == 5, dump(c));
    CHECK(c.report(2).find("and 3 more") != std::string::npos);
}
