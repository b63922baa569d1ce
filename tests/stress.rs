//! Stress: many threads on one `SyncPool` for a bounded time, with statistics that must
//! balance exactly at the end; and the frame manager's auto-tuner over a long, shifting
//! workload on a fake clock, with the bytes it holds checked against its budget at every
//! maintenance tick.
//!
//! Each test runs for a fixed wall-clock budget (`STRESS_MILLIS`, default 1500 ms) and
//! prints the operations it performed. No assertion depends on timing: the duration only
//! bounds how much work is done. Miri skips them (they are about volume, and Miri runs
//! the same code paths in the unit tests).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use evm_pool::{
    EvmPooled, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, ManualClock,
    OverflowPolicy, PoolConfig, PoolError, SyncPool,
};

#[path = "common/shifting_workload.rs"]
mod shifting_workload;
use shifting_workload::{PHASES, call_tree};

fn budget() -> Duration {
    let millis = std::env::var("STRESS_MILLIS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    Duration::from_millis(millis)
}

/// A small xorshift generator: each thread gets its own stream, no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The tests that count `LIVE` objects run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// An object that proves exclusive use (it must come out empty, and what its holder
/// writes must still be there at release) and counts live instances.
#[derive(Debug)]
struct Exclusive(Vec<u64>);

impl EvmPooled for Exclusive {
    fn new_pooled() -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Exclusive(Vec::new())
    }
    fn reset(&mut self) {
        self.0.clear();
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

fn claim(object: &mut Exclusive, mark: u64) {
    assert!(
        object.0.is_empty(),
        "handed out dirty or shared: {object:?}"
    );
    object.0.push(mark);
}

fn check(object: &Exclusive, mark: u64) {
    assert_eq!(object.0, [mark], "another thread touched this object");
}

/// What the threads did, summed: the books the pool's statistics must match.
#[derive(Default)]
struct Tally {
    acquired: AtomicU64,
    refused: AtomicU64,
    released: AtomicU64,
    detached: AtomicU64,
    shrunk: AtomicU64,
    /// Objects out at once (for the `Fail` bound).
    out: AtomicUsize,
    most_out: AtomicUsize,
}

impl Tally {
    fn took(&self) {
        self.acquired.fetch_add(1, Ordering::Relaxed);
        let now = self.out.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_out.fetch_max(now, Ordering::Relaxed);
    }
    fn gave_back(&self) {
        self.released.fetch_add(1, Ordering::Relaxed);
        self.out.fetch_sub(1, Ordering::SeqCst);
    }
    fn kept(&self) {
        self.detached.fetch_add(1, Ordering::Relaxed);
        self.out.fetch_sub(1, Ordering::SeqCst);
    }
}

type Parcel = (evm_pool::OwnedSyncPoolGuard<Exclusive>, u64);

/// `threads` threads hammer one pool until the time budget is spent: borrowed guards
/// held several at a time, owned guards sent to a neighbour thread and released there,
/// fallible acquires, detaching, prewarming and shrinking. With `fallible_only` every
/// acquire is a `try_acquire` (so a `Fail` pool never creates beyond `max`). Returns the
/// operation count.
fn hammer(
    pool: &Arc<SyncPool<Exclusive>>,
    tally: &Tally,
    threads: usize,
    fallible_only: bool,
) -> u64 {
    let deadline = Instant::now() + budget();
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..threads)
        .map(|_| mpsc::sync_channel::<Parcel>(4))
        .unzip();
    let ops = AtomicU64::new(0);
    let inboxes: Vec<mpsc::Receiver<Parcel>> = std::thread::scope(|s| {
        let workers: Vec<_> = receivers
            .into_iter()
            .enumerate()
            .map(|(me, inbox)| {
                let neighbour = senders[(me + 1) % threads].clone();
                let (pool, ops) = (Arc::clone(pool), &ops);
                s.spawn(move || {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((me as u64 + 1) * 0x1000_0001));
                    let mut held = Vec::new();
                    let mut count = 0u64;
                    let mut mark = (me as u64) << 48;
                    let take = |mark: u64, held: &mut Vec<_>| match pool.try_acquire() {
                        Ok(mut g) => {
                            tally.took();
                            claim(&mut g, mark);
                            held.push((g, mark));
                        }
                        Err(PoolError::Exhausted { .. }) => {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(other) => panic!("{other}"),
                    };
                    while Instant::now() < deadline {
                        count += 1;
                        mark += 1;
                        // Each thread holds at most four: beyond, it releases.
                        let choice = if held.len() >= 4 { 7 } else { rng.below(16) };
                        match choice {
                            0..=4 if !fallible_only => {
                                let mut g = pool.acquire();
                                tally.took();
                                claim(&mut g, mark);
                                held.push((g, mark));
                            }
                            0..=6 => take(mark, &mut held),
                            7..=10 if !held.is_empty() => {
                                let at = rng.below(held.len() as u64) as usize;
                                let (g, m) = held.swap_remove(at);
                                check(&g, m);
                                tally.gave_back();
                                drop(g);
                            }
                            11 => {
                                // An owned guard, released by the neighbour thread.
                                match pool.try_acquire_owned() {
                                    Ok(mut g) => {
                                        tally.took();
                                        claim(&mut g, mark);
                                        // Never block on a full inbox: a neighbour past
                                        // the deadline no longer drains it, and a
                                        // blocking send would then wait forever (seen on
                                        // a loaded machine). Release it here instead.
                                        match neighbour.try_send((g, mark)) {
                                            Ok(()) => {}
                                            Err(mpsc::TrySendError::Full((g, m))) => {
                                                check(&g, m);
                                                tally.gave_back();
                                                drop(g);
                                            }
                                            Err(mpsc::TrySendError::Disconnected(_)) => {
                                                unreachable!("inboxes outlive the workers")
                                            }
                                        }
                                    }
                                    Err(_) => {
                                        tally.refused.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            }
                            12 if !held.is_empty() => {
                                let (g, m) = held.pop().unwrap();
                                check(&g, m);
                                tally.kept();
                                drop(g.into_inner());
                            }
                            13 if rng.below(64) == 0 => {
                                let n = pool.shrink_to(rng.below(8) as usize);
                                tally.shrunk.fetch_add(n as u64, Ordering::Relaxed);
                            }
                            14 if rng.below(64) == 0 => {
                                pool.prewarm(rng.below(8) as usize);
                            }
                            _ => {}
                        }
                        while let Ok((g, m)) = inbox.try_recv() {
                            check(&g, m);
                            tally.gave_back();
                            drop(g);
                        }
                    }
                    for (g, m) in held.drain(..) {
                        check(&g, m);
                        tally.gave_back();
                        drop(g);
                    }
                    ops.fetch_add(count, Ordering::Relaxed);
                    inbox
                })
            })
            .collect();
        drop(senders);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    // Guards sent after their receiver stopped: released here.
    for inbox in inboxes {
        for (g, m) in inbox.try_iter() {
            check(&g, m);
            tally.gave_back();
            drop(g);
        }
    }
    ops.into_inner()
}

fn stress_sync_pool(policy: OverflowPolicy, max: usize) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let threads = 8;
    let config = PoolConfig::builder()
        .initial(4)
        .max(max)
        .overflow(policy)
        .build()
        .unwrap();
    let live_before = LIVE.load(Ordering::SeqCst);
    let pool = Arc::new(SyncPool::<Exclusive>::with_config_and_shards(config, 4).unwrap());
    let tally = Tally::default();
    let started = Instant::now();
    let fail = policy == OverflowPolicy::Fail;
    let ops = hammer(&pool, &tally, threads, fail);
    let s = pool.stats();
    let acquired = tally.acquired.load(Ordering::Relaxed);
    let refused = tally.refused.load(Ordering::Relaxed);
    let detached = tally.detached.load(Ordering::Relaxed);
    let shrunk = tally.shrunk.load(Ordering::Relaxed);
    let most_out = tally.most_out.load(Ordering::Relaxed);
    println!(
        "SyncPool {policy:?} max {max}: {threads} threads, {ops} operations in {:?} \
         ({acquired} acquires, {refused} refused, {detached} detached, most out at once \
         {most_out}); {s}",
        started.elapsed()
    );
    assert_eq!(s.in_use, 0, "{s}");
    assert_eq!(s.hits + s.misses, acquired + refused, "{s}");
    assert_eq!(s.returns + s.detached, acquired, "{s}");
    assert_eq!(s.detached, detached, "{s}");
    assert_eq!(
        s.created,
        s.available + s.discards + s.detached + shrunk,
        "objects lost or invented: {s}"
    );
    assert_eq!(
        LIVE.load(Ordering::SeqCst) - live_before,
        s.available as usize
    );
    assert!(s.available as usize <= max);
    // The tally counts an object out after the pool does and back before it does, so it
    // never exceeds the pool's own count.
    assert!(most_out as u64 <= s.peak_in_use, "{most_out} > {s}");
    if fail {
        assert_eq!(s.discards, 0, "a Fail pool never creates beyond max: {s}");
        assert_eq!(s.overflows, refused, "{s}");
        assert!(s.peak_in_use as usize <= max, "{s}");
    }
    assert!(ops > 1000, "the stress did almost nothing: {ops}");
    drop(pool);
    assert_eq!(LIVE.load(Ordering::SeqCst), live_before, "objects leaked");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "volume test; the unit tests cover these paths under Miri"
)]
fn sync_pool_many_threads_allocate_policy_balances() {
    stress_sync_pool(OverflowPolicy::Allocate, 48);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "volume test; the unit tests cover these paths under Miri"
)]
fn sync_pool_many_threads_fail_policy_balances() {
    stress_sync_pool(OverflowPolicy::Fail, 24);
}

/// The auto-tuner, cleanup and pressure handling over a long workload whose shape keeps
/// changing (small transfers, fan-out, 200-deep proxies, 48 KiB calldata, idle spells).
/// Every transaction advances the fake clock one cleanup interval, so maintenance runs at
/// each root frame; right after it the bytes held must be within the memory budget.
#[test]
#[cfg_attr(
    miri,
    ignore = "volume test; the frame unit tests cover these paths under Miri"
)]
fn auto_tuner_keeps_memory_within_budget_under_a_shifting_workload() {
    let clock = ManualClock::new();
    // One shared class (32 frames up front), tuned and trimmed; a budget the heavy
    // phases overrun between ticks, so pressure handling has work to do.
    let mut config = FramePoolConfig::minimal();
    config.auto_tune = true;
    config.pressure_handling = true;
    config.memory_budget = 128 * 1024;
    config.cleanup_interval = Duration::from_secs(1);
    config.idle_timeout = Duration::from_secs(5);
    let budget_bytes = config.memory_budget;
    let manager = FramePoolManager::with_clock(config, clock.clone()).unwrap();
    let deadline = Instant::now() + budget();
    let started = Instant::now();
    let (mut transactions, mut frames, mut ticks_over, mut peak_between) = (0u64, 0u64, 0u64, 0u64);
    let mut per_phase: HashMap<&str, u64> = HashMap::new();
    let mut after_maintenance_max = 0u64;
    let mut round = 0usize;
    while Instant::now() < deadline {
        let phase = PHASES[round % PHASES.len()];
        round += 1;
        let input = vec![0x5a; phase.input];
        for _ in 0..50 {
            clock.advance(Duration::from_secs(1));
            let mut root = manager
                .acquire_with(FrameRequest::new(FrameKind::Call).gas(30_000_000), None)
                .unwrap();
            // Maintenance (cleanup, pressure, tuning) ran inside that acquire.
            let held = manager.bytes_held();
            after_maintenance_max = after_maintenance_max.max(held);
            if held > budget_bytes {
                ticks_over += 1;
            }
            frames += 1 + call_tree(&manager, &mut root, phase, 0, &input);
            drop(root);
            peak_between = peak_between.max(manager.bytes_held());
            transactions += 1;
            *per_phase.entry(phase.name).or_default() += 1;
        }
    }
    let stats = manager.statistics();
    println!(
        "auto-tuner: {transactions} transactions, {frames} frames in {:?} over phases {per_phase:?}; \
         bytes held after maintenance at most {after_maintenance_max} (budget {budget_bytes}), \
         peak between ticks {peak_between}; {}",
        started.elapsed(),
        stats.total
    );
    assert_eq!(
        ticks_over, 0,
        "bytes held above the budget right after maintenance"
    );
    let total = stats.total;
    assert_eq!(total.in_use, 0);
    assert_eq!(total.acquires(), frames);
    assert_eq!(total.returns + total.detached, frames);
    assert!(transactions >= 50);
}
