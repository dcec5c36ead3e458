//! The bounded counter table behind [`super::BruteForce`]: one entry per key with the
//! timestamps of its recent failures (at most the threshold) and an optional lock.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One counter.
#[derive(Debug)]
struct Entry {
    /// Failures inside the window, oldest first (never more than the threshold).
    failures: VecDeque<Instant>,
    /// Refuse until then.
    locked_until: Option<Instant>,
    /// Insertion number, to recognise stale eviction-queue items.
    seq: u64,
}

/// Counters keyed by a keyed hash, evicted oldest-first beyond `max_entries`.
#[derive(Debug)]
pub(super) struct Table {
    map: HashMap<u64, Entry>,
    /// Keys in insertion order with their `seq` (stale items are skipped).
    order: VecDeque<(u64, u64)>,
    next_seq: u64,
    max_entries: usize,
}

impl Table {
    pub(super) fn new(max_entries: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            max_entries: max_entries.max(1),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    #[cfg(test)]
    pub(super) fn order_len(&self) -> usize {
        self.order.len()
    }

    pub(super) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    /// Time left on `key`'s lock, if it is locked at `now` (an expired lock is lifted).
    pub(super) fn locked(&mut self, key: u64, now: Instant) -> Option<Duration> {
        let entry = self.map.get_mut(&key)?;
        match entry.locked_until {
            Some(until) if until > now => Some(until - now),
            Some(_) => {
                entry.locked_until = None;
                None
            }
            None => None,
        }
    }

    /// Counts a failure; returns `true` when it locks the key.
    pub(super) fn fail(
        &mut self,
        key: u64,
        now: Instant,
        window: Duration,
        threshold: u32,
        lockout: Duration,
    ) -> bool {
        let entry = self.entry(key);
        if entry.locked_until.is_some_and(|until| until > now) {
            return false;
        }
        entry.locked_until = None;
        while entry
            .failures
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= window)
        {
            entry.failures.pop_front();
        }
        entry.failures.push_back(now);
        if entry.failures.len() >= threshold as usize {
            entry.failures.clear();
            entry.locked_until = Some(now + lockout);
            return true;
        }
        false
    }

    /// Forgets `key` (a success on a pair counter).
    pub(super) fn reset(&mut self, key: u64) {
        self.map.remove(&key);
    }

    fn entry(&mut self, key: u64) -> &mut Entry {
        if !self.map.contains_key(&key) {
            self.make_room();
            let seq = self.next_seq;
            self.next_seq += 1;
            self.order.push_back((key, seq));
            self.map.insert(
                key,
                Entry {
                    failures: VecDeque::new(),
                    locked_until: None,
                    seq,
                },
            );
        }
        self.map.get_mut(&key).expect("inserted above")
    }

    /// Evicts the oldest live entries until there is room for one more, and drops stale
    /// queue items so the queue stays proportional to the map.
    fn make_room(&mut self) {
        while self.map.len() >= self.max_entries {
            let Some((key, seq)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&key).is_some_and(|e| e.seq == seq) {
                self.map.remove(&key);
            }
        }
        if self.order.len() > 2 * self.max_entries {
            let map = &self.map;
            self.order
                .retain(|(key, seq)| map.get(key).is_some_and(|e| e.seq == *seq));
        }
    }
}
