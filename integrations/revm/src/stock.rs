//! Stock revm, as its users build it: the baseline every comparison runs against.

use crate::workload::EvmContext;
use core::convert::Infallible;
use revm::context::TxEnv;
use revm::context::result::{EVMError, ResultAndState};
use revm::handler::MainnetEvm;
use revm::{ExecuteEvm, MainBuilder};

/// Stock revm (`Context::mainnet().build_mainnet()`) over a workload context.
///
/// ```
/// use evm_pool_revm::{stock::StockEvm, workload::Workload};
///
/// let w = Workload::call_loop(10);
/// let mut evm = StockEvm::new(w.context());
/// let result = evm.transact(w.txs[0].clone())?;
/// assert!(result.result.is_success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StockEvm {
    /// revm's own EVM type.
    pub evm: MainnetEvm<EvmContext>,
}

impl StockEvm {
    /// Builds stock revm over `ctx`.
    ///
    /// ```
    /// use evm_pool_revm::{stock::StockEvm, workload::Workload};
    ///
    /// let evm = StockEvm::new(Workload::transfers(1).context());
    /// # let _ = evm;
    /// ```
    pub fn new(ctx: EvmContext) -> Self {
        Self {
            evm: ctx.build_mainnet(),
        }
    }

    /// Executes `tx` without committing its state (revm's `transact`).
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = StockEvm::new(w.context());
    /// let result = evm.transact(w.txs[0].clone())?;
    /// assert_eq!(result.result.gas_used(), 21_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transact(&mut self, tx: TxEnv) -> Result<ResultAndState, EVMError<Infallible>> {
        self.evm.transact(tx)
    }
}
