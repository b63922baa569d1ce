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
    let outcomes = assert_equivalent(&Workload::call_chain(), 2);
    assert!(outcomes[0].is_success());
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
