// The clock-offset estimator on synthetic request timelines: a server `skew` ms ahead of the
// local clock stamps Date = its time truncated to the second, at a point between send and
// receive set by the upload/download delays. The true offset must always lie in the bounds
// (except after a sub-second jump, until a sample shows it), and the bounds must narrow.
#include "protocol/clock.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace mps3::protocol;

namespace {

timestamp at(std::int64_t ms) {
    return timestamp(milliseconds(ms));
}

// Deterministic pseudo-random numbers (tests must not depend on a seed they do not print).
class lcg {
  public:
    explicit lcg(std::uint64_t seed) : state_(seed) {}
    std::int64_t next(std::int64_t below) {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::int64_t>((state_ >> 33) % static_cast<std::uint64_t>(below));
    }

  private:
    std::uint64_t state_;
};

clock_sample request(std::int64_t local_sent, std::int64_t up, std::int64_t down,
                     std::int64_t skew) {
    const std::int64_t server_at_stamp = local_sent + up + skew;
    const std::int64_t date = server_at_stamp - (server_at_stamp % 1000 + 1000) % 1000;
    return {at(local_sent), at(local_sent + up + down), at(date)};
}

bool contains(const offset_bounds& b, std::int64_t offset) {
    return b.low.count() <= offset && offset <= b.high.count();
}

// Feeds n requests, one every ~1.37 s with random delays; checks the truth is always inside.
void feed(clock_estimator& est, lcg& rng, std::int64_t& now, std::int64_t skew, int n,
          std::int64_t max_up = 60, std::int64_t max_down = 60) {
    for (int i = 0; i < n; ++i) {
        now += 1000 + rng.next(737);
        const auto up = 5 + rng.next(max_up);
        const auto down = 5 + rng.next(max_down);
        REQUIRE(est.add(request(now, up, down, skew)) != sample_outcome::rejected);
        REQUIRE(est.bounds().has_value());
        CHECK_MESSAGE(contains(*est.bounds(), skew),
                      "skew " << skew << " outside [" << est.bounds()->low.count() << ", "
                              << est.bounds()->high.count() << "] after sample " << i);
        now += up + down;
    }
}

}  // namespace

TEST_CASE("clock: no sample, no offset") {
    const clock_estimator est;
    CHECK_FALSE(est.bounds().has_value());
    CHECK(est.offset() == milliseconds(0));
    CHECK(est.server_now(at(1234)) == at(1234));
}

TEST_CASE("clock: one sample bounds the offset to [D - r, D + 1 s - s]") {
    clock_estimator est(clock_options{.slack = milliseconds(0)});
    // Sent at 10.000 s, answered at 10.100 s, Date 12 s: offset in [1900, 3000].
    est.add({at(10000), at(10100), at(12000)});
    REQUIRE(est.bounds().has_value());
    CHECK(est.bounds()->low == milliseconds(1900));
    CHECK(est.bounds()->high == milliseconds(3000));
    CHECK(est.offset() == milliseconds(2450));
    CHECK(est.bounds()->uncertainty() == milliseconds(550));
    CHECK(est.server_now(at(20000)) == at(22450));
}

TEST_CASE("clock: converges for skews -2 s, 0, +2 s, in both directions") {
    for (const std::int64_t skew : {-2000, 0, 2000, 1234567, -987}) {
        CAPTURE(skew);
        clock_estimator est;
        lcg rng(static_cast<std::uint64_t>(skew + 7));
        std::int64_t now = 1795441251921;
        feed(est, rng, now, skew, 1);
        CHECK(est.bounds()->uncertainty() > milliseconds(500));  // one sample: ~1 s wide
        feed(est, rng, now, skew, 63);
        // Sub-second phases spread over the window: far below the Date resolution.
        CHECK(est.bounds()->uncertainty() < milliseconds(100));
        const auto error = est.offset().count() - skew;
        CHECK(std::abs(error) <= est.bounds()->uncertainty().count());
    }
}

TEST_CASE("clock: asymmetric delays stay inside the bounds") {
    // A slow upload and a fast download: the stamp sits late in the round trip. No estimator
    // can see the asymmetry; the bounds must still hold the truth.
    for (const std::int64_t skew : {-2000, 0, 2000}) {
        CAPTURE(skew);
        clock_estimator est;
        std::int64_t now = 1700000000000;
        for (int i = 0; i < 50; ++i) {
            now += 1000 + (i * 379) % 1000;
            est.add(request(now, 400, 5, skew));
            CHECK(contains(*est.bounds(), skew));
            now += 405;
        }
        CHECK(std::abs(est.offset().count() - skew) <= est.bounds()->uncertainty().count());
        CHECK(est.bounds()->uncertainty() < milliseconds(260));
    }
}

TEST_CASE("clock: a jump is followed after one contradicting sample") {
    for (const std::int64_t jump : {3000, -3000, 60000, -3600000}) {
        CAPTURE(jump);
        clock_estimator est;
        lcg rng(42);
        std::int64_t now = 1795441251921;
        feed(est, rng, now, 0, 30);
        now += 1000;
        CHECK(est.add(request(now, 30, 30, jump)) == sample_outcome::jumped);
        CHECK(contains(*est.bounds(), jump));
        CHECK(est.sample_count() == 1);
        now += 60;
        feed(est, rng, now, jump, 20);
        CHECK(est.bounds()->uncertainty() < milliseconds(150));
    }
}

TEST_CASE("clock: a jump smaller than a second is caught, and misleads by less than itself") {
    // A sample only contradicts the old ones when the new skew shows through the 1 s truncation
    // (here: when the server's sub-second phase is below ~240 ms). Until then the bounds may
    // miss the truth, by less than the jump.
    clock_estimator est;
    lcg rng(7);
    std::int64_t now = 1795441251921;
    feed(est, rng, now, 0, 30);
    const std::int64_t skew = 300;
    bool caught = false;
    for (int i = 0; i < 60; ++i) {
        now += 1000 + rng.next(737);
        if (est.add(request(now, 20, 20, skew)) == sample_outcome::jumped) {
            caught = true;
        }
        if (caught) {
            CHECK(contains(*est.bounds(), skew));
        } else {
            CHECK(std::abs(est.offset().count() - skew) <= skew + 100);
        }
        now += 40;
    }
    CHECK(caught);
}

TEST_CASE("clock: the window is bounded in count and in age") {
    clock_estimator est(clock_options{.max_samples = 8, .max_sample_age = std::chrono::minutes(1)});
    lcg rng(1);
    std::int64_t now = 0;
    feed(est, rng, now, 500, 20);
    CHECK(est.sample_count() == 8);
    now += 120000;  // two minutes later: all others expire
    est.add(request(now, 10, 10, 500));
    CHECK(est.sample_count() == 1);
}

TEST_CASE("clock: old samples are widened by drift and do not cause false jumps") {
    // The local clock runs 50 ppm slow: over 10 minutes the offset grows by 30 ms.
    clock_estimator est;
    std::int64_t now = 1795441251921;
    int jumps = 0;
    for (int i = 0; i < 400; ++i) {
        now += 1500 + (i * 211) % 997;
        const auto skew = 2000 + (now - 1795441251921) * 50 / 1000000;
        if (est.add(request(now, 10, 10, skew)) == sample_outcome::jumped) {
            ++jumps;
        }
        CHECK(contains(*est.bounds(), skew));
    }
    CHECK(jumps == 0);
}

TEST_CASE("clock: a response before its request is rejected") {
    clock_estimator est;
    CHECK(est.add({at(1000), at(999), at(5000)}) == sample_outcome::rejected);
    CHECK(est.sample_count() == 0);
    CHECK_FALSE(est.bounds().has_value());
    est.add({at(1000), at(1000), at(5000)});
    CHECK(est.sample_count() == 1);
    est.clear();
    CHECK_FALSE(est.bounds().has_value());
}

TEST_CASE("stamp_entry: max(server now, newest seen + 1 ms)") {
    CHECK(stamp_entry(at(1000), std::nullopt) == at(1000));
    CHECK(stamp_entry(at(1000), at(500)) == at(1000));
    CHECK(stamp_entry(at(1000), at(999)) == at(1000));
    CHECK(stamp_entry(at(1000), at(1000)) == at(1001));  // a tie would fall to session order
    CHECK(stamp_entry(at(1000), at(4000)) == at(4001));
}

TEST_CASE("check_entry_time: edges of the 5000 ms window") {
    const time_range exact{at(100000), at(100000)};
    CHECK(check_entry_time(at(104999), exact) == time_verdict::valid);
    CHECK(check_entry_time(at(95001), exact) == time_verdict::valid);
    CHECK(check_entry_time(at(105000), exact) == time_verdict::invalid);
    CHECK(check_entry_time(at(95000), exact) == time_verdict::invalid);

    const time_range second{at(100000), at(101000)};
    CHECK(check_entry_time(at(100500), second) == time_verdict::valid);
    CHECK(check_entry_time(at(104999), second) == time_verdict::valid);
    CHECK(check_entry_time(at(105000), second) == time_verdict::uncertain);
    CHECK(check_entry_time(at(105999), second) == time_verdict::uncertain);
    CHECK(check_entry_time(at(106000), second) == time_verdict::invalid);
    CHECK(check_entry_time(at(96001), second) == time_verdict::valid);
    CHECK(check_entry_time(at(96000), second) == time_verdict::uncertain);
    CHECK(check_entry_time(at(95000), second) == time_verdict::invalid);
    // Wider than the window: never certainly valid.
    const time_range wide{at(100000), at(111000)};
    CHECK(check_entry_time(at(105500), wide) == time_verdict::uncertain);
}

TEST_CASE("last_modified_range: from the PUT's Date and round trip") {
    // Sent at local 50.000 s, answered at 50.200 s, Date 100 s: LastModified in
    // [100 s - 200 ms - 1 ms, 100.999 s], the earliest end floored to the second.
    const auto range = last_modified_range({at(50000), at(50200), at(100000)});
    CHECK(range.earliest == at(99000));
    CHECK(range.latest == at(100999));
    const auto quick = last_modified_range({at(50000), at(50000), at(100000)});
    CHECK(quick.earliest == at(99000));  // 99.999 floored
    CHECK(quick.latest == at(100999));
    const auto slow = last_modified_range({at(50000), at(53500), at(100000)});
    CHECK(slow.earliest == at(96000));  // 96.499 floored
}

TEST_CASE("writer timeline: stamp, predict, put, verify, for skews -2 s, 0, +2 s") {
    for (const std::int64_t skew : {-2000, 0, 2000}) {
        CAPTURE(skew);
        clock_estimator est;
        lcg rng(99);
        std::int64_t now = 1795441251921;
        feed(est, rng, now, skew, 10);  // polls and the LIST before the write
        // Stamp with the estimate; nothing newer seen.
        const auto t = stamp_entry(est.server_now(at(now)), std::nullopt);
        CHECK(std::abs((t - at(now)).count() - skew) <= est.bounds()->uncertainty().count());
        const auto predicted = predict_last_modified(at(now), milliseconds(2000), *est.bounds());
        CHECK(delay_until_valid(t, predicted) == milliseconds(0));
        // The PUT takes 150 ms up, 20 down.
        const auto put = request(now, 150, 20, skew);
        est.add(put);
        CHECK(check_entry_time(t, last_modified_range(put)) == time_verdict::valid);
    }
}

TEST_CASE("writer timeline: an entry stamped over a fast writer's is held back, not emitted") {
    const std::int64_t now = 1795441251921;
    clock_estimator est;
    est.add(request(now - 5000, 5, 5, 0));  // skew 0, known to about +-0.5 s
    est.add(request(now - 2600, 5, 5, 0));
    // Another writer's clock runs 4.5 s fast: its valid entry is 4.5 s in the future.
    const auto newest_seen = at(now + 4500);
    const auto t = stamp_entry(est.server_now(at(now)), newest_seen);
    CHECK(t == at(now + 4501));
    const auto predicted = predict_last_modified(at(now), milliseconds(1000), *est.bounds());
    const auto delay = delay_until_valid(t, predicted);
    REQUIRE(delay.has_value());
    CHECK(*delay > milliseconds(0));
    CHECK(*delay < milliseconds(2500));
    // Waiting that long makes it valid for every LastModified the PUT can get.
    const time_range later{predicted.earliest + *delay, predicted.latest + *delay};
    CHECK(check_entry_time(t, later) == time_verdict::valid);
    const time_range sooner{predicted.earliest + *delay - milliseconds(1),
                            predicted.latest + *delay - milliseconds(1)};
    CHECK(check_entry_time(t, sooner) != time_verdict::valid);
}

TEST_CASE("delay_until_valid: no wait can save a stale stamp or a blind clock") {
    CHECK(delay_until_valid(at(100000), {at(100000), at(101000)}) == milliseconds(0));
    CHECK(delay_until_valid(at(100000), {at(104000), at(105000)}) == std::nullopt);  // t lags
    CHECK(delay_until_valid(at(100000), {at(90000), at(101000)}) == std::nullopt);   // too wide
    CHECK(delay_until_valid(at(100000), {at(94000), at(95000)}) == milliseconds(1001));
}
