//! The pooled EVM gives exactly stock revm's results: status and halt reason, gas used
//! and refunded, output, logs and state changes, on the workloads and on generated
//! call-heavy programs.

use evm_pool_revm::outcome::TxOutcome;
use evm_pool_revm::pooled::PooledEvm;
use evm_pool_revm::stock::StockEvm;
use evm_pool_revm::workload::Workload;
use revm::ExecuteEvm;

fn assert_equivalent(w: &Workload, repeats: usize) -> Vec<TxOutcome> {
    let mut stock = StockEvm::new(w.context());
    let mut pooled = PooledEvm::new(w.context());
    let mut outcomes = Vec::new();
    for round in 0..repeats {
        for (i, tx) in w.txs.iter().enumerate() {
            let a = TxOutcome::from_result(stock.transact(tx.clone()));
            let b = TxOutcome::from_result(pooled.transact(tx.clone()));
            if let Some(diff) = a.difference(&b) {
                panic!(
                    "{} tx {i} round {round}: stock vs pooled differ in {diff}",
                    w.name
                );
            }
            outcomes.push(a);
        }
    }
    outcomes
}

#[test]
fn call_loop_matches_stock() {
    let outcomes = assert_equivalent(&Workload::call_loop(1000), 2);
    assert!(outcomes[0].is_success());
}

#[test]
fn call_chain_to_depth_limit_matches_stock() {
    let w = Workload::call_chain();
    let outcomes = assert_equivalent(&w, 2);
    assert!(outcomes[0].is_success());
    // The chain really reaches the limit: depths 0..=1024 alive at once.
    let mut pooled = PooledEvm::new(w.context());
    let _ = pooled.transact(w.txs[0].clone());
    assert_eq!(pooled.pool_stats().peak_frames, 1025);
}

#[test]
fn transfers_match_stock() {
    let outcomes = assert_equivalent(&Workload::transfers(4), 1);
    assert!(
        outcomes
            .iter()
            .all(|o| o.is_success() && o.gas_used == 21_000)
    );
}

#[test]
fn analysis_matches_stock() {
    let outcomes = assert_equivalent(&Workload::analysis(), 1);
    assert!(outcomes[0].is_success());
}

#[test]
fn snailtracer_matches_stock() {
    let outcomes = assert_equivalent(&Workload::snailtracer(), 1);
    assert!(outcomes[0].is_success());
    assert!(!outcomes[0].output.is_empty());
}

/// Number of generated programs (override with `EVM_POOL_DIFF_PROGRAMS`).
fn program_count() -> u64 {
    std::env::var("EVM_POOL_DIFF_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[derive(Debug, Default)]
struct Coverage {
    success: u32,
    revert: u32,
    halt: u32,
    deep: u32,
    created: u32,
    logs: u32,
}

#[test]
fn generated_programs_match_stock() {
    use evm_pool_revm::outcome::Status;
    use evm_pool_revm::pooled::FramePools;
    use evm_pool_revm::programs::generate;
    use evm_pool_revm::workload::context;

    let mut pools = Some(FramePools::default());
    let mut coverage = Coverage::default();
    let mut peak_frames = 0;
    for seed in 0..program_count() {
        let program = generate(seed);
        let stock = TxOutcome::from_result(
            StockEvm::new(context(program.db.clone())).transact(program.tx.clone()),
        );
        // Pools move from program to program, so frames and boxes are reused warm.
        let mut pooled = PooledEvm::with_pools(
            context(program.db.clone()),
            revm::handler::EthPrecompiles::new(revm::primitives::hardfork::SpecId::default()),
            pools.take().unwrap(),
        );
        for run in 0..2 {
            let ours = TxOutcome::from_result(pooled.transact(program.tx.clone()));
            if let Some(diff) = stock.difference(&ours) {
                panic!(
                    "program seed {seed} (deep: {}), pooled run {run}: {diff}",
                    program.deep
                );
            }
        }
        peak_frames = peak_frames.max(pooled.pool_stats().peak_frames);
        pools = Some(pooled.into_pools());
        match stock.status {
            Status::Success(_) => coverage.success += 1,
            Status::Revert => coverage.revert += 1,
            Status::Halt(_) => coverage.halt += 1,
            Status::Invalid(ref e) => panic!("seed {seed}: transaction rejected: {e}"),
        }
        coverage.deep += u32::from(program.deep);
        coverage.created += u32::from(stock.state.values().any(|a| {
            a.code.as_ref().is_some_and(|c| c.len() == 8) // the generated runtime code
        }));
        coverage.logs += u32::from(!stock.logs.is_empty());
    }
    eprintln!(
        "{} programs: {coverage:?}, peak frames {peak_frames}",
        program_count()
    );
    if program_count() >= 100 {
        // The generator reaches every kind of ending, creates contracts, logs and hits
        // the depth limit (1025 frames alive: depths 0..=1024).
        assert!(
            coverage.success > 0 && coverage.revert > 0 && coverage.halt > 0,
            "{coverage:?}"
        );
        assert!(
            coverage.deep > 0 && coverage.created > 0 && coverage.logs > 0,
            "{coverage:?}"
        );
        assert_eq!(peak_frames, 1025);
    }
}

#[test]
fn harness_is_deterministic_stock_vs_stock() {
    use evm_pool_revm::programs::generate;
    use evm_pool_revm::workload::context;
    for seed in 0..20 {
        let p = generate(seed);
        let a = TxOutcome::from_result(StockEvm::new(context(p.db.clone())).transact(p.tx.clone()));
        let b = TxOutcome::from_result(StockEvm::new(context(p.db.clone())).transact(p.tx.clone()));
        assert_eq!(a.difference(&b), None, "seed {seed}");
    }
}

#[test]
fn pool_statistics_are_exact() {
    use evm_pool_revm::pooled::RetentionPolicy;
    // 50 CALLs per transaction: 51 frames entered, 50 inputs boxes requested.
    let w = Workload::call_loop(50);
    let mut pooled = PooledEvm::new(w.context());
    for _ in 0..3 {
        pooled.transact(w.txs[0].clone()).unwrap();
    }
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (3 * 51 - 2, 2));
    assert_eq!((s.inputs_hits, s.inputs_misses), (3 * 50 - 1, 1));
    assert_eq!((s.peak_frames, s.transactions), (2, 3));

    // The chain under the minimal policy: frames beyond 4 (and their spare boxes) are
    // dropped after each transaction; the statistics keep what the dropped slots counted.
    let w = Workload::call_chain();
    let mut pooled = PooledEvm::with_policy(w.context(), RetentionPolicy::minimal());
    let _ = pooled.transact(w.txs[0].clone());
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (0, 1025));
    assert_eq!((s.inputs_hits, s.inputs_misses), (0, 1025));
    assert_eq!(pooled.pooled_frames(), 4);
    let _ = pooled.transact(w.txs[0].clone());
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (4, 2 * 1025 - 4));
    assert_eq!((s.inputs_hits, s.inputs_misses), (4, 2 * 1025 - 4));
    assert_eq!((s.peak_frames, s.transactions), (1025, 2));
    // Taking the pools out keeps the counts of the frames dropped with the EVM.
    let again = PooledEvm::with_pools(
        w.context(),
        revm::handler::EthPrecompiles::new(revm::primitives::hardfork::SpecId::default()),
        pooled.into_pools(),
    );
    assert_eq!(again.pool_stats(), s);
}
