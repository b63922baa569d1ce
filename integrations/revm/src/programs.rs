//! Generated call-heavy programs for differential testing of the pooled EVM against
//! stock revm.
//!
//! [`generate`] turns a seed into a small world of contracts and one transaction. The
//! contracts are built from random *segments*, each stack-neutral so they compose
//! freely: memory writes and expansion, storage writes (including the remaining `GAS`,
//! so any gas difference shows up in the state), logs, hashing, nested
//! `CALL`/`CALLCODE`/`DELEGATECALL`/`STATICCALL` to each other, to themselves, to
//! precompiles and to empty accounts (with and without value), `CREATE`/`CREATE2` of
//! init code that deploys, reverts, halts or returns rejected code (and calls into what
//! it created), `REVERT` or an exceptional halt at a chosen call depth, and
//! `SELFDESTRUCT`. Every frame passes its depth to its callees in calldata, so reverts
//! and halts happen at random depths. One program in eight is *deep*: a contract
//! recursing with all its gas until revm's call-depth limit (1024) stops it.

use crate::asm::{Asm, Label};
use crate::workload::{CALLER, WorkloadDb, base_db, call_tx, insert_contract};
use revm::bytecode::opcode::*;
use revm::context::TxEnv;
use revm::primitives::{Address, Bytes, U256};

/// A generated world and the transaction to run in it.
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, programs::generate, pooled::PooledEvm, stock::StockEvm, workload::context};
/// use revm::ExecuteEvm;
///
/// let program = generate(1);
/// let mut pooled = PooledEvm::new(context(program.db.clone()));
/// let mut stock = StockEvm::new(context(program.db.clone()));
/// let ours = TxOutcome::from_result(pooled.transact(program.tx.clone()));
/// let theirs = TxOutcome::from_result(stock.transact(program.tx.clone()));
/// assert_eq!(ours.difference(&theirs), None, "seed {}", program.seed);
/// ```
#[derive(Debug, Clone)]
pub struct Program {
    /// The seed it was generated from (re-generate with [`generate`] to reproduce).
    pub seed: u64,
    /// Whether this is a depth-limit program (self-recursion to depth 1024).
    pub deep: bool,
    /// Initial state: [`CALLER`] and the generated contracts.
    pub db: WorkloadDb,
    /// The transaction, calling the first contract.
    pub tx: TxEnv,
}

/// Deterministic SplitMix64, so programs are reproducible from their seed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Address of generated contract `i`.
///
/// ```
/// use evm_pool_revm::programs::contract_address;
///
/// assert_ne!(contract_address(0), contract_address(1));
/// assert_eq!(contract_address(2).as_slice()[0], 0xc0);
/// ```
pub fn contract_address(i: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xc0;
    bytes[19] = i as u8;
    Address::from(bytes)
}

/// Precompiles available without optional crypto backends (ecrecover, sha256,
/// ripemd160, identity, modexp, blake2f).
const PRECOMPILES: [u8; 6] = [1, 2, 3, 4, 5, 9];

/// Memory below this offset holds the depth word (and scratch); segments write above.
const SCRATCH: u64 = 64;

struct Gen<'a> {
    rng: &'a mut Rng,
    contracts: usize,
    /// Callees' depth (`mem[0]`) must stay below this for guarded calls to happen.
    max_depth: u64,
    /// Reverts and halts are placed at depths below this.
    fail_depths: u64,
    deep: bool,
}

impl Gen<'_> {
    fn offset(&mut self) -> u64 {
        if self.rng.chance(1, 16) {
            SCRATCH + self.rng.below(64 * 1024) // large memory expansion
        } else {
            SCRATCH + self.rng.below(1024)
        }
    }

    fn len(&mut self) -> u64 {
        self.rng.pick(&[0, 1, 20, 32, 33, 64, 100, 256])
    }

    /// Jumps to `skip` unless `mem[0]` (this frame's depth + 1) is below `max`.
    fn guard_depth_below(&mut self, asm: &mut Asm, max: u64) -> Label {
        let skip = asm.new_label();
        asm.push(max)
            .op(PUSH0)
            .op(MLOAD)
            .op(LT)
            .op(ISZERO)
            .jumpi(skip);
        skip
    }

    /// Jumps to `skip` unless this frame's depth equals `depth`.
    fn guard_depth_eq(&mut self, asm: &mut Asm, depth: u64) -> Label {
        let skip = asm.new_label();
        asm.push(depth + 1)
            .op(PUSH0)
            .op(MLOAD)
            .op(EQ)
            .op(ISZERO)
            .jumpi(skip);
        skip
    }

    fn segment(&mut self, asm: &mut Asm, self_index: usize) {
        match self.rng.below(13) {
            0 | 1 => {
                // Memory write (and expansion).
                let off = self.offset();
                asm.push(self.rng.next())
                    .push(off)
                    .op(self.rng.pick(&[MSTORE, MSTORE8]));
            }
            2 => {
                // Storage: a constant, this frame's depth, or the gas left.
                asm.op(self.rng.pick(&[GAS, PC, MSIZE, CALLVALUE]));
                asm.push(self.rng.below(8)).op(SSTORE);
            }
            3 => {
                let n = self.rng.below(3) as u8;
                for _ in 0..n {
                    asm.push(self.rng.next());
                }
                let len = self.len();
                let off = self.offset();
                asm.push(len).push(off).op(LOG0 + n);
            }
            4 => {
                let len = self.len();
                let off = self.offset();
                asm.push(len).push(off).op(KECCAK256);
                asm.push(8 + self.rng.below(4)).op(SSTORE);
            }
            5..=8 => self.call(asm, self_index),
            9 => self.create(asm),
            10 => {
                // REVERT at a random depth.
                let depth = self.rng.below(self.fail_depths);
                let skip = self.guard_depth_eq(asm, depth);
                let len = self.len();
                let off = self.offset();
                asm.push(len).push(off).op(REVERT);
                asm.jumpdest(skip);
            }
            11 => {
                // Exceptional halt at a random depth.
                let depth = self.rng.below(self.fail_depths);
                let skip = self.guard_depth_eq(asm, depth);
                match self.rng.below(3) {
                    0 => asm.op(INVALID),
                    1 => asm.op(POP), // stack underflow: segments leave the stack empty
                    _ => asm.push(1).op(JUMP), // invalid jump destination
                };
                asm.jumpdest(skip);
            }
            _ => {
                if self.rng.chance(1, 4) {
                    let beneficiary =
                        contract_address(self.rng.below(self.contracts as u64) as usize);
                    asm.push_address(beneficiary).op(SELFDESTRUCT);
                } else {
                    asm.op(RETURNDATASIZE)
                        .op(PUSH0)
                        .push(self.offset())
                        .op(RETURNDATACOPY);
                }
            }
        }
    }

    fn call(&mut self, asm: &mut Asm, self_index: usize) {
        let skip = self.guard_depth_below(asm, self.max_depth);
        let kind = self
            .rng
            .pick(&[CALL, CALL, CALLCODE, DELEGATECALL, STATICCALL]);
        let target = match self.rng.below(8) {
            0 => Address::with_last_byte(self.rng.pick(&PRECOMPILES)),
            1 => Address::with_last_byte(0xee), // empty account
            // The deep program's first contract recurses to the depth limit; calling it
            // again from nested frames would multiply that chain, so only it calls itself.
            _ if self.deep && self.contracts == 1 => Address::with_last_byte(0xee),
            _ if self.deep => {
                contract_address(1 + self.rng.below(self.contracts as u64 - 1) as usize)
            }
            2 => contract_address(self_index),
            _ => contract_address(self.rng.below(self.contracts as u64) as usize),
        };
        let value = if matches!(kind, CALL | CALLCODE) && self.rng.chance(1, 3) {
            self.rng.below(1000)
        } else {
            0
        };
        // retLen, retOff, argsLen, argsOff (the depth word plus some memory)
        asm.push(self.len()).push(self.offset());
        asm.push(32 + self.rng.pick(&[0, 0, 32, 100])).op(PUSH0);
        if matches!(kind, CALL | CALLCODE) {
            asm.push(value);
        }
        asm.push_address(target);
        if self.rng.chance(3, 4) {
            asm.op(GAS);
        } else {
            asm.push(self.rng.below(60_000));
        }
        asm.op(kind);
        if self.rng.chance(1, 2) {
            asm.push(16 + self.rng.below(8)).op(SSTORE);
        } else {
            asm.op(POP);
        }
        if self.rng.chance(1, 3) {
            asm.op(RETURNDATASIZE)
                .op(PUSH0)
                .push(self.offset())
                .op(RETURNDATACOPY);
        }
        asm.jumpdest(skip);
    }

    fn create(&mut self, asm: &mut Asm) {
        let skip = self.guard_depth_below(asm, self.max_depth);
        // Runtime code of created contracts: store 42 and return it.
        let runtime: &[u8] = &[PUSH1, 0x2a, PUSH0, MSTORE, PUSH1, 32, PUSH0, RETURN];
        let mut init = Asm::new();
        match self.rng.below(5) {
            0 | 1 => {
                init.store_bytes(0, runtime);
                init.push(runtime.len() as u64).op(PUSH0).op(RETURN);
            }
            2 => {
                init.push(7)
                    .op(PUSH0)
                    .op(MSTORE)
                    .push(32)
                    .op(PUSH0)
                    .op(REVERT);
            }
            3 => {
                init.op(INVALID);
            }
            _ => {
                // Code starting with 0xEF is rejected (EIP-3541).
                init.store_bytes(0, &[0xef, 0x00]);
                init.push(2).op(PUSH0).op(RETURN);
            }
        }
        let init = init.build().unwrap_or_default();
        let at = self.offset();
        asm.store_bytes(at as usize, &init);
        let value = if self.rng.chance(1, 3) {
            self.rng.below(1000)
        } else {
            0
        };
        if self.rng.chance(1, 2) {
            // Reused salts make some CREATE2s collide with an earlier one.
            asm.push(self.rng.below(3))
                .push(init.len() as u64)
                .push(at)
                .push(value)
                .op(CREATE2);
        } else {
            asm.push(init.len() as u64).push(at).push(value).op(CREATE);
        }
        // Keep the address, record it, and call what was created.
        asm.op(DUP1).push(24 + self.rng.below(4)).op(SSTORE);
        asm.ops(&[PUSH0, PUSH0, PUSH0, PUSH0, DUP5, GAS, STATICCALL, POP, POP]);
        asm.jumpdest(skip);
    }

    fn contract(&mut self, self_index: usize) -> Bytes {
        let mut asm = Asm::new();
        // mem[0] = depth + 1: what this frame passes to its callees.
        asm.op(PUSH0)
            .op(CALLDATALOAD)
            .push(1)
            .op(ADD)
            .op(PUSH0)
            .op(MSTORE);
        if self.deep && self_index == 0 {
            // Recurse with all gas until the depth limit stops it, with a few segments
            // before and after.
            for _ in 0..self.rng.below(3) {
                self.segment(&mut asm, self_index);
            }
            asm.push(32).op(PUSH0).push(32).op(PUSH0).op(PUSH0);
            asm.push_address(contract_address(0)).op(GAS).op(CALL);
            asm.push(30).op(SSTORE);
            for _ in 0..self.rng.below(3) {
                self.segment(&mut asm, self_index);
            }
        } else {
            for _ in 0..2 + self.rng.below(8) {
                self.segment(&mut asm, self_index);
            }
        }
        match self.rng.below(4) {
            0 => {
                asm.op(STOP);
            }
            1 => {
                let len = self.len();
                let off = self.offset();
                asm.push(len).push(off).op(REVERT);
            }
            _ => {
                let len = self.len();
                let off = self.offset();
                asm.push(len).push(off).op(RETURN);
            }
        }
        asm.build().unwrap_or_default()
    }
}

/// Generates the program for `seed`.
///
/// ```
/// use evm_pool_revm::programs::generate;
///
/// let a = generate(7);
/// let b = generate(7);
/// assert_eq!(a.tx.data, b.tx.data);
/// assert_eq!(a.db.cache.accounts.len(), b.db.cache.accounts.len());
/// ```
pub fn generate(seed: u64) -> Program {
    let mut rng = Rng(seed);
    let deep = rng.chance(1, 8);
    let contracts = 1 + rng.below(4) as usize;
    // Nested calls stop at a small depth (the call tree stays small); only the deep
    // program's recursion goes on to the depth limit.
    let max_depth = 2 + rng.below(5);
    let fail_depths = if deep { 1100 } else { max_depth + 1 };
    let mut db = base_db();
    let mut generator = Gen {
        rng: &mut rng,
        contracts,
        max_depth,
        fail_depths,
        deep,
    };
    for i in 0..contracts {
        let code = generator.contract(i);
        insert_contract(&mut db, contract_address(i), code);
    }
    let gas_limit = if deep {
        1_000_000_000_000
    } else if rng.chance(1, 8) {
        30_000 + rng.below(200_000) // often runs out of gas
    } else {
        30_000_000
    };
    let mut tx = call_tx(
        contract_address(0),
        Bytes::from(U256::ZERO.to_be_bytes::<32>().to_vec()),
        gas_limit,
    );
    tx.caller = CALLER;
    if rng.chance(1, 4) {
        tx.value = U256::from(rng.below(1_000_000));
    }
    Program { seed, deep, db, tx }
}
