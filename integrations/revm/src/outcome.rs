//! A transaction's observable result in a comparable form: what "the pooled EVM gives
//! exactly stock revm's result" means, field by field.

use core::convert::Infallible;
use revm::context::result::{
    EVMError, ExecutionResult, HaltReason, Output, ResultAndState, SuccessReason,
};
use revm::primitives::{Address, B256, Bytes, Log, StorageKey, StorageValue, U256};
use std::collections::BTreeMap;

/// How a transaction ended.
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
///
/// let w = Workload::transfers(1);
/// let mut evm = StockEvm::new(w.context());
/// use evm_pool_revm::outcome::Status;
///
/// let outcome = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
/// assert!(matches!(outcome.status, Status::Success(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `STOP`, `RETURN` or `SELFDESTRUCT`.
    Success(SuccessReason),
    /// `REVERT`.
    Revert,
    /// Exceptional halt (out of gas, invalid opcode, stack overflow, ...).
    Halt(HaltReason),
    /// The transaction was rejected before execution (the error's text).
    Invalid(String),
}

/// One account as the transaction left it (only accounts the journal touched).
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
///
/// let w = Workload::transfers(1);
/// let mut evm = StockEvm::new(w.context());
/// use evm_pool_revm::workload::CALLER;
///
/// let outcome = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
/// assert_eq!(outcome.state[&CALLER].nonce, 1); // the sender's nonce went up
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// Balance after the transaction.
    pub balance: U256,
    /// Nonce after the transaction.
    pub nonce: u64,
    /// Code hash after the transaction.
    pub code_hash: B256,
    /// Deployed code, if any.
    pub code: Option<Bytes>,
    /// revm's account status bits (touched, created, self-destructed, cold, ...).
    pub status: u8,
    /// Storage slots loaded or written: `(original, present)`.
    pub storage: BTreeMap<StorageKey, (StorageValue, StorageValue)>,
}

/// Everything observable about one executed transaction.
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
///
/// let w = Workload::transfers(1);
/// let mut evm = StockEvm::new(w.context());
/// let a = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
/// let b = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
/// assert_eq!(a, b);
/// assert!(a.is_success());
/// assert_eq!(a.gas_used, 21_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Success, revert, halt (with reason) or rejection.
    pub status: Status,
    /// Gas used as written to the receipt.
    pub gas_used: u64,
    /// Gas refunded (after the EIP-3529 cap).
    pub gas_refunded: u64,
    /// Total gas spent before refunds.
    pub gas_spent: u64,
    /// Returned or revert data.
    pub output: Bytes,
    /// Address created by a create transaction.
    pub created: Option<Address>,
    /// Logs in emission order.
    pub logs: Vec<Log>,
    /// Every account in the final journal state, by address.
    pub state: BTreeMap<Address, AccountChange>,
}

impl TxOutcome {
    /// Canonicalizes the result of `transact`.
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = StockEvm::new(w.context());
    /// let outcome = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
    /// assert!(outcome.logs.is_empty() && outcome.output.is_empty());
    /// ```
    pub fn from_result(result: Result<ResultAndState, EVMError<Infallible>>) -> Self {
        let ResultAndState { result, state } = match result {
            Ok(ok) => ok,
            Err(error) => {
                return Self {
                    status: Status::Invalid(error.to_string()),
                    gas_used: 0,
                    gas_refunded: 0,
                    gas_spent: 0,
                    output: Bytes::new(),
                    created: None,
                    logs: Vec::new(),
                    state: BTreeMap::new(),
                };
            }
        };
        let gas = *result.gas();
        let (status, logs, output, created) = match result {
            ExecutionResult::Success {
                reason,
                logs,
                output,
                ..
            } => {
                let (data, created) = match output {
                    Output::Call(data) => (data, None),
                    Output::Create(data, address) => (data, address),
                };
                (Status::Success(reason), logs, data, created)
            }
            ExecutionResult::Revert { logs, output, .. } => (Status::Revert, logs, output, None),
            ExecutionResult::Halt { reason, logs, .. } => {
                (Status::Halt(reason), logs, Bytes::new(), None)
            }
        };
        let state = state
            .into_iter()
            .map(|(address, account)| {
                let change = AccountChange {
                    balance: account.info.balance,
                    nonce: account.info.nonce,
                    code_hash: account.info.code_hash,
                    code: account.info.code.as_ref().map(|c| c.original_bytes()),
                    status: account.status.bits(),
                    storage: account
                        .storage
                        .iter()
                        .map(|(k, v)| (*k, (v.original_value, v.present_value)))
                        .collect(),
                };
                (address, change)
            })
            .collect();
        Self {
            status,
            gas_used: gas.tx_gas_used(),
            gas_refunded: gas.final_refunded(),
            gas_spent: gas.total_gas_spent(),
            output,
            created,
            logs,
            state,
        }
    }

    /// Whether the transaction succeeded.
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = StockEvm::new(w.context());
    /// assert!(TxOutcome::from_result(evm.transact(w.txs[0].clone())).is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        matches!(self.status, Status::Success(_))
    }

    /// The first field in which `self` and `other` differ, described for a test failure;
    /// `None` when they are equal.
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(1);
    /// let mut evm = StockEvm::new(w.context());
    /// let a = TxOutcome::from_result(evm.transact(w.txs[0].clone()));
    /// let mut b = a.clone();
    /// assert_eq!(a.difference(&b), None);
    /// b.gas_used += 1;
    /// assert_eq!(a.difference(&b).as_deref(), Some("gas_used: 21000 != 21001"));
    /// ```
    pub fn difference(&self, other: &Self) -> Option<String> {
        macro_rules! field {
            ($name:ident) => {
                if self.$name != other.$name {
                    return Some(format!(
                        concat!(stringify!($name), ": {:?} != {:?}"),
                        self.$name, other.$name
                    ));
                }
            };
        }
        field!(status);
        field!(gas_used);
        field!(gas_refunded);
        field!(gas_spent);
        field!(output);
        field!(created);
        field!(logs);
        for (address, a) in &self.state {
            match other.state.get(address) {
                None => return Some(format!("state: {address} only on the left")),
                Some(b) if a != b => {
                    return Some(format!("state of {address}: {a:?} != {b:?}"));
                }
                Some(_) => {}
            }
        }
        if let Some(address) = other.state.keys().find(|a| !self.state.contains_key(*a)) {
            return Some(format!("state: {address} only on the right"));
        }
        None
    }
}
