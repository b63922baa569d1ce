//! The pooled EVM gives exactly stock revm's results: status and halt reason, gas used
//! and refunded, output, logs and state changes, on the workloads and on generated
//! call-heavy programs.

use evm_pool_revm::measure::{EvmKind, FreshEvm};
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
/// A fresh EVM per transaction (the pooled one taking over its predecessor's pools)
/// gives stock revm's results, and after the first transaction creates no frame.
#[test]
fn fresh_evm_per_transaction_matches_stock() {
    for w in [
        Workload::call_loop(100),
        Workload::call_chain(),
        Workload::transfers(3),
        Workload::analysis(),
    ] {
        let mut stock = FreshEvm::new(EvmKind::Stock);
        let mut pooled = FreshEvm::new(EvmKind::Pooled);
        let mut misses_after_first = None;
        for round in 0..2 {
            for (i, tx) in w.txs.iter().enumerate() {
                let a = stock.transact(w.context(), tx.clone());
                let b = pooled.transact(w.context(), tx.clone());
                if let Some(diff) = a.difference(&b) {
                    panic!(
                        "{} tx {i} round {round}: fresh EVMs differ in {diff}",
                        w.name
                    );
                }
            }
            if round == 0 {
                misses_after_first = Some(pooled.frame_statistics().expect("pooled").total.misses);
            }
        }
        let total = pooled.frame_statistics().expect("pooled").total;
        // Every frame is back in the manager between EVMs; the second round created none.
        assert_eq!(Some(total.misses), misses_after_first, "{}", w.name);
        assert_eq!(total.in_use, 0, "{}", w.name);
        assert_eq!(total.hits + total.misses, total.returns, "{}", w.name);
    }
}

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
    use evm_pool::{ClassLayout, PoolConfig};
    use evm_pool_revm::pooled::{FramePools, RetentionPolicy, default_frame_config};
    // 50 CALLs per transaction: 51 frames run on 2 frames from the frame pool manager
    // (one per depth the first transaction reached, from its 16 prewarmed ones, leased
    // on to the equally deep later ones); 50 inputs boxes requested, one allocated.
    let w = Workload::call_loop(50);
    let mut pooled = PooledEvm::new(w.context());
    for _ in 0..3 {
        pooled.transact(w.txs[0].clone()).unwrap();
    }
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (2, 0));
    assert_eq!((s.inputs_hits, s.inputs_misses), (3 * 50 - 1, 1));
    assert_eq!((s.peak_frames, s.transactions), (2, 3));
    let frames = pooled.frame_statistics().total;
    assert_eq!(
        (frames.returns, frames.in_use, frames.peak_in_use),
        (0, 2, 2)
    );

    // The chain with a frame pool of at most 4 frames and the minimal policy with
    // leasing uncapped (`max_leased_frames: 1025`; `leased_frames_are_capped_by_the_policy`
    // in the crate tests the cap): the chain's 1025 frames stay leased to the EVM after it; a frameless transaction
    // gives them all back, and frames beyond 4 are dropped (the manager's discards),
    // with the boxes in their slots; the statistics keep what the dropped frames
    // counted.
    let mut class = PoolConfig::minimal();
    (class.initial, class.max) = (4, 4);
    let config = evm_pool::FramePoolConfig {
        classes: ClassLayout::Shared(class),
        ..default_frame_config()
    };
    let w = Workload::call_chain();
    let policy = RetentionPolicy {
        max_leased_frames: 1025,
        ..RetentionPolicy::minimal()
    };
    let pools = FramePools::with_frame_config(policy, config).unwrap();
    let mut pooled = PooledEvm::with_pools(
        w.context(),
        revm::handler::EthPrecompiles::new(revm::primitives::hardfork::SpecId::default()),
        pools,
    );
    let no_code = evm_pool_revm::workload::call_tx(
        revm::primitives::Address::with_last_byte(0x77),
        revm::primitives::Bytes::new(),
        100_000,
    );
    let _ = pooled.transact(w.txs[0].clone());
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (4, 1021));
    assert_eq!((s.inputs_hits, s.inputs_misses), (0, 1025));
    assert_eq!(pooled.pooled_frames(), 0);
    let frames = pooled.frame_statistics().total;
    assert_eq!((frames.in_use, frames.discards), (1025, 0));
    let _ = pooled.transact(no_code);
    assert_eq!(pooled.pooled_frames(), 4);
    let frames = pooled.frame_statistics().total;
    assert_eq!(
        (frames.in_use, frames.returns, frames.discards),
        (0, 1025, 1021)
    );
    let _ = pooled.transact(w.txs[0].clone());
    let s = pooled.pool_stats();
    assert_eq!((s.frame_hits, s.frame_misses), (8, 2 * 1021));
    // Boxes reused: the four kept frames keep theirs in their slots. The first chain
    // transaction's own inputs box (revm's handler boxes it), recycled into the pool,
    // was freed after the frameless transaction: its demand was zero and the minimal
    // policy forgets at once (`idle_transactions: 0`).
    assert_eq!((s.inputs_hits, s.inputs_misses), (4, 2 * 1025 - 4));
    assert_eq!((s.peak_frames, s.transactions), (1025, 3));
    // Taking the pools out keeps the counts of the frames dropped with the EVM.
    let again = PooledEvm::with_pools(
        w.context(),
        revm::handler::EthPrecompiles::new(revm::primitives::hardfork::SpecId::default()),
        pooled.into_pools(),
    );
    assert_eq!(again.pool_stats(), s);
}

/// Precompiles read call data through revm's context, not through the pooled memory:
/// a callee (memory based above its caller's) passes a range of its own memory to the
/// identity and sha256 precompiles; the output carries the bytes they saw.
#[test]
fn precompile_call_data_from_a_nested_frame_matches_stock() {
    use evm_pool_revm::asm::Asm;
    use evm_pool_revm::workload::{CALLEE, TARGET, base_db, call_tx, insert_contract};
    use revm::bytecode::opcode::*;
    use revm::primitives::{Address, Bytes, U256};

    let word_a = U256::from_be_bytes([0x11; 32]);
    let word_b = U256::from_be_bytes([0x22; 32]);
    // Caller: 64 bytes of memory, CALL(callee, args = 0..64, ret = 64..288), RETURN it.
    let mut caller = Asm::new();
    caller.push_word(word_a).op(PUSH0).op(MSTORE);
    caller.push_word(word_b).push(32).op(MSTORE);
    caller
        .push(224)
        .push(64)
        .push(64)
        .op(PUSH0)
        .op(PUSH0)
        .push_address(CALLEE)
        .op(GAS)
        .op(CALL)
        .op(POP);
    caller.push(224).push(64).op(RETURN);
    // Callee: 96 bytes of its own, call data copied to 96..160, identity(96..160) into
    // 160..224, sha256(96..160) into 0..32, RETURN 0..224.
    let mut callee = Asm::new();
    for (i, byte) in [0xa1u8, 0xa2, 0xa3].into_iter().enumerate() {
        callee
            .push_word(U256::from_be_bytes([byte; 32]))
            .push(32 * i as u64)
            .op(MSTORE);
    }
    callee.push(64).op(PUSH0).push(96).op(CALLDATACOPY);
    for (precompile, ret_offset) in [(4u8, 160u64), (2, 0)] {
        callee
            .push(64)
            .push(ret_offset)
            .push(64)
            .push(96)
            .push_address(Address::with_last_byte(precompile))
            .op(GAS)
            .op(STATICCALL)
            .op(POP);
    }
    callee.push(224).op(PUSH0).op(RETURN);

    let mut db = base_db();
    insert_contract(&mut db, TARGET, caller.build().unwrap());
    insert_contract(&mut db, CALLEE, callee.build().unwrap());
    let w = Workload {
        name: "precompile-call-data",
        description: "precompiles called with call data in a nested frame's memory",
        db,
        txs: vec![call_tx(TARGET, Bytes::new(), 1_000_000)],
    };
    let outcomes = assert_equivalent(&w, 2);
    // The identity precompile saw the caller's two words (not zeros, not other bytes).
    let output = &outcomes[0].output;
    assert_eq!(output.len(), 224);
    assert_eq!(&output[160..192], &[0x11; 32]);
    assert_eq!(&output[192..224], &[0x22; 32]);
}

/// Memory kept after a transaction is bounded by the retention policy, not by the
/// largest memory a transaction used.
#[test]
fn memory_retention_follows_the_policy() {
    use evm_pool_revm::asm::Asm;
    use evm_pool_revm::pooled::RetentionPolicy;
    use evm_pool_revm::workload::{TARGET, base_db, call_tx, insert_contract};
    use revm::bytecode::opcode::*;
    use revm::primitives::Bytes;

    // MSTORE at 1 MiB - 32: the transaction's memory grows to 1 MiB.
    let mut code = Asm::new();
    code.push(7).push((1 << 20) - 32).op(MSTORE).op(STOP);
    let mut db = base_db();
    insert_contract(&mut db, TARGET, code.build().unwrap());
    let w = Workload {
        name: "memory-1mib",
        description: "one transaction expanding memory to 1 MiB",
        db,
        txs: vec![call_tx(TARGET, Bytes::new(), 100_000_000)],
    };
    assert!(assert_equivalent(&w, 2)[0].is_success());

    let mut default = PooledEvm::new(w.context());
    let mut minimal = PooledEvm::with_policy(w.context(), RetentionPolicy::minimal());
    default.transact(w.txs[0].clone()).unwrap();
    minimal.transact(w.txs[0].clone()).unwrap();
    for evm in [&default, &minimal] {
        assert!(evm.pool_stats().peak_memory_bytes >= 1 << 20);
    }
    // The default policy keeps what recent transactions needed (1 MiB, under its
    // 16 MiB cap); the minimal one at most 64 KiB of memory.
    assert!(default.retained_bytes() >= 1 << 20);
    assert!(minimal.retained_bytes() < 1 << 19);
    assert_eq!(minimal.pool_stats().trims, 1);
}
