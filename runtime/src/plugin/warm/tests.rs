//! The `warm_instances` setting: parsing, the `auto` decision and its timing.

use super::*;

#[derive(Deserialize)]
struct Holder {
    warm_instances: WarmInstances,
}

fn parse(value: &str) -> Result<WarmInstances, String> {
    toml::from_str::<Holder>(&format!("warm_instances = {value}"))
        .map(|h| h.warm_instances)
        .map_err(|e| e.to_string())
}

#[test]
fn parses_auto_and_numbers() {
    assert_eq!(parse("\"auto\""), Ok(WarmInstances::Auto));
    assert_eq!(parse("0"), Ok(WarmInstances::Fixed(0)));
    assert_eq!(parse("3"), Ok(WarmInstances::Fixed(3)));
    assert_eq!(WarmInstances::default(), WarmInstances::Auto);
}

#[test]
fn refuses_other_values_with_the_fix() {
    let err = parse("\"many\"").unwrap_err();
    assert!(
        err.contains("\"many\" is not allowed; use \"auto\""),
        "{err}"
    );
    let err = parse("-1").unwrap_err();
    assert!(err.contains("-1 is not allowed"), "{err}");
    assert!(parse("1.5").is_err());
    let err = WarmInstances::Fixed(65).validate().unwrap_err();
    assert!(err.contains("sandbox.warm_instances = 65"), "{err}");
    assert!(WarmInstances::Fixed(64).validate().is_ok());
}

#[test]
fn auto_makes_instances_ahead_only_for_expensive_instantiation() {
    let auto = WarmInstances::Auto;
    let cheap = Some(Duration::from_micros(8));
    let dear = Some(Duration::from_micros(900));
    assert_eq!(auto.decide(cheap, 256), 0);
    assert_eq!(auto.decide(Some(AUTO_THRESHOLD), 256), 2);
    assert_eq!(auto.decide(dear, 256), 2);
    assert_eq!(auto.decide(None, 256), 0, "unmeasured: inline");
    assert_eq!(auto.decide(dear, 2), 1, "at most half the pool");
    assert_eq!(auto.decide(dear, 1), 0);
}

#[test]
fn fixed_ignores_the_measurement_but_not_the_pool() {
    let fixed = WarmInstances::Fixed(8);
    assert_eq!(fixed.decide(None, 256), 8);
    assert_eq!(fixed.decide(Some(Duration::from_micros(1)), 256), 8);
    assert_eq!(fixed.decide(None, 6), 3);
    assert_eq!(
        WarmInstances::Fixed(0).decide(Some(Duration::from_secs(1)), 256),
        0
    );
}

/// A clock that moves only when a fake instantiation says so.
struct FakeClock {
    start: Instant,
    elapsed: std::cell::Cell<Duration>,
}

impl FakeClock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Default::default(),
        }
    }

    fn now(&self) -> Instant {
        self.start + self.elapsed.get()
    }

    fn advance(&self, micros: u64) {
        self.elapsed
            .set(self.elapsed.get() + Duration::from_micros(micros));
    }
}

#[tokio::test]
async fn timing_skips_the_first_run_and_keeps_the_cheapest() {
    let clock = FakeClock::new();
    let mut runs = 0;
    // The untimed first run is the slowest; the timed ones take 40, 30, 20, 10, 20 µs.
    let costs = [900, 40, 30, 20, 10, 20];
    let cheapest = cheapest_timed(
        || {
            clock.advance(costs[runs]);
            runs += 1;
            async { wasmtime::Result::Ok(()) }
        },
        || clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(runs, 1 + AUTO_PROBES);
    assert_eq!(cheapest, Duration::from_micros(10));
}

#[tokio::test]
async fn timing_stops_at_the_first_failure_and_at_the_budget() {
    let clock = FakeClock::new();
    let mut runs = 0;
    let err = cheapest_timed(
        || {
            runs += 1;
            let fail = runs == 3;
            async move {
                match fail {
                    true => Err(wasmtime::Error::msg("start function trapped")),
                    false => Ok(()),
                }
            }
        },
        || clock.now(),
    )
    .await
    .unwrap_err();
    assert_eq!(runs, 3);
    assert!(err.to_string().contains("trapped"));

    let mut runs = 0;
    let slow = cheapest_timed(
        || {
            runs += 1;
            clock.advance(PROBING_BUDGET.as_micros() as u64 / 2);
            async { wasmtime::Result::Ok(()) }
        },
        || clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(slow, PROBING_BUDGET / 2);
    assert_eq!(runs, 2, "the budget ends the probing once spent");
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `AUTO_BACKOFF_STREAK` empty takes in a row, each while a refill runs, at `now`.
fn streak(backoff: &Backoff, now: Duration) {
    for _ in 0..AUTO_BACKOFF_STREAK {
        backoff.found_empty_at(true, now);
    }
}

#[test]
fn backoff_pauses_only_when_the_load_outpaces_a_running_refill() {
    let backoff = Backoff::default();
    backoff.enable(true);
    for _ in 0..10 {
        backoff.found_empty_at(false, ms(10));
    }
    assert!(
        !backoff.active_at(ms(10)),
        "an empty queue without a refill is not load"
    );
    // One empty take short of a streak, then a take that found an instance: no pause.
    for _ in 1..AUTO_BACKOFF_STREAK {
        backoff.found_empty_at(true, ms(10));
    }
    backoff.found_ready();
    backoff.found_empty_at(true, ms(10));
    assert!(
        !backoff.active_at(ms(10)),
        "the streak restarts after a ready take"
    );
    streak(&backoff, ms(10));
    assert!(backoff.active_at(ms(10)));
    assert!(backoff.active_at(ms(10) + AUTO_BACKOFF - ms(1)));
    assert_eq!(backoff.remaining_at(ms(20)), Some(AUTO_BACKOFF - ms(10)));
    // Emptiness during the pause is the pause's doing: it does not extend it.
    streak(&backoff, ms(40));
    assert!(!backoff.active_at(ms(10) + AUTO_BACKOFF));
    assert_eq!(backoff.remaining_at(ms(10) + AUTO_BACKOFF), None);
    // After the pause a new streak starts a new one.
    streak(&backoff, ms(10) + AUTO_BACKOFF);
    assert!(backoff.active_at(ms(10) + AUTO_BACKOFF + ms(1)));
}

#[test]
fn backoff_is_off_for_a_fixed_number() {
    let backoff = Backoff::default();
    streak(&backoff, ms(10));
    assert!(!backoff.active_at(ms(11)));
    backoff.enable(true);
    streak(&backoff, ms(10));
    assert!(backoff.active_at(ms(11)));
    backoff.enable(false);
    assert!(!backoff.active_at(ms(11)));
}
