//! The pooled EVM's interpreter types and its `CALL`-family instructions.
//!
//! revm's interpreter is generic over [`InterpreterTypes`]; the pooled EVM swaps in
//! [`PooledStack`] (a window of the shared stack buffer) and [`PooledMemory`] (a view of
//! the shared memory buffer) and gives every interpreter a
//! [`FrameExtras`] slot through which the `CALL` instructions receive a recycled
//! `Box<CallInputs>`. revm's action type fixes the box (`FrameInput::Call(Box<_>)`), so
//! the allocation cannot be removed, only reused: these instructions are revm's `call`
//! with `Box::new` replaced by "refill the spare box if there is one", and revm's
//! `load_acc_and_calc_gas` restated so the callee's code goes straight into the box
//! (unchanged when the box already holds it: no reference-count round trip per CALL).

use super::memory::PooledMemory;
use super::stack::PooledStack;
use revm::bytecode::Bytecode;
use revm::bytecode::opcode::{CALL, CALLCODE, DELEGATECALL, STATICCALL};
use revm::context_interface::CreateScheme;
use revm::context_interface::Host;
use revm::context_interface::host::LoadError;
use revm::interpreter::interpreter::{ExtBytecode, InputsImpl, ReturnDataImpl, RuntimeFlags};
use revm::interpreter::interpreter_types::{
    InputsTr, LoopControl, MemoryTr, ReturnData, RuntimeFlag, StackTr,
};
use revm::interpreter::{
    CallInput, CallInputs, CallScheme, CallValue, CreateInputs, FrameInput, InstructionContext,
    InstructionExecResult, InstructionResult, InterpreterAction, InterpreterTypes,
};
use revm::primitives::Bytes;
use revm::primitives::constants::CALL_STACK_LIMIT;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, B256, U256};

/// [`InterpreterTypes`] of the pooled EVM: revm's components except the stack
/// ([`PooledStack`]), the memory ([`PooledMemory`]) and the extension slot
/// ([`FrameExtras`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PooledInterpreter;

impl InterpreterTypes for PooledInterpreter {
    type Stack = PooledStack;
    type Memory = PooledMemory;
    type Bytecode = ExtBytecode;
    type ReturnData = ReturnDataImpl;
    type Input = InputsImpl;
    type RuntimeFlag = RuntimeFlags;
    type Extend = FrameExtras;
    type Output = InterpreterAction;
}

/// Per-frame slots holding a recycled inputs box for the frame's next `CALL`/`CREATE`.
///
/// A frame keeps its slot filled across calls and transactions: the box its `CALL`
/// hands to a child comes back into the same slot when the child ends (or when the call
/// ends without a frame: precompile, empty code, depth limit), so a steady call pattern
/// moves no box through any pool.
#[derive(Debug, Default)]
pub struct FrameExtras {
    /// A recycled box the next `CALL`/`CALLCODE`/`DELEGATECALL`/`STATICCALL` fills
    /// instead of allocating; `None` makes that instruction allocate (a pool miss).
    /// Refilled by the EVM from the frame's child, or from the pool when the frame starts.
    pub spare_call_inputs: Option<Box<CallInputs>>,
    /// The same for `CREATE`/`CREATE2`.
    pub spare_create_inputs: Option<Box<CreateInputs>>,
    /// Boxes this slot's frames had to allocate (no spare): the inputs pool's misses,
    /// counted on the allocating path only, summed by the EVM when it reports statistics.
    pub(crate) allocated: u64,
}

/// revm's `CALL`/`CALLCODE`/`DELEGATECALL`/`STATICCALL` (`instructions::contract::call`),
/// filling the frame's spare inputs box instead of allocating a new one.
pub fn pooled_call<const KIND: u8, H: Host + ?Sized>(
    mut context: InstructionContext<'_, H, PooledInterpreter>,
) -> InstructionExecResult {
    let spec = context.interpreter.runtime_flag.spec_id();
    if (KIND == DELEGATECALL && !spec.is_enabled_in(SpecId::HOMESTEAD))
        || (KIND == STATICCALL && !spec.is_enabled_in(SpecId::BYZANTIUM))
    {
        return Err(InstructionResult::NotActivated);
    }

    let (local_gas_limit, to, value) = if KIND == CALL || KIND == CALLCODE {
        let Some([local_gas_limit, to, value]) = context.interpreter.stack.popn() else {
            return Err(InstructionResult::StackUnderflow);
        };
        (local_gas_limit, to, value)
    } else {
        let Some([local_gas_limit, to]) = context.interpreter.stack.popn() else {
            return Err(InstructionResult::StackUnderflow);
        };
        (local_gas_limit, to, U256::ZERO)
    };
    let to = address_from_word(&to);
    let local_gas_limit = u64::try_from(local_gas_limit).unwrap_or(u64::MAX);
    let has_transfer = !value.is_zero();

    if KIND == CALL && context.interpreter.runtime_flag.is_static() && has_transfer {
        return Err(InstructionResult::CallNotAllowedInsideStatic);
    }

    let (input, return_memory_offset) =
        memory_input_and_out_ranges(context.interpreter, context.host.gas_params())?;

    // The callee's code goes straight into the spare box's `known_bytecode` (kept as
    // is when it already holds that code: no reference-count round trip per CALL).
    let Some(mut spare) = context.interpreter.extend.spare_call_inputs.take() else {
        return call_without_spare::<KIND, H>(
            context,
            to,
            value,
            has_transfer,
            local_gas_limit,
            input,
            return_memory_offset,
        );
    };
    let (gas_limit, charged_new_account_state_gas) = match load_acc_and_calc_gas_into(
        &mut context,
        to,
        has_transfer,
        KIND == CALL,
        local_gas_limit,
        &mut spare.known_bytecode,
    ) {
        Ok(charged) => charged,
        Err(error) => {
            // The box stays this frame's spare (its `known_bytecode` is only read once
            // the box is filled).
            context.interpreter.extend.spare_call_inputs = Some(spare);
            return Err(error);
        }
    };

    let interpreter = &mut *context.interpreter;
    let (target_address, caller, value) = call_parties::<KIND>(interpreter, to, value);
    let is_static = interpreter.runtime_flag.is_static() || KIND == STATICCALL;
    let reservoir = interpreter.gas.reservoir();
    // Field by field, in place: no temporary to build and copy. The pattern names every
    // field (no `..`), so a field added by a new revm version is a compile error here,
    // never a stale value.
    let CallInputs {
        input: spare_input,
        return_memory_offset: spare_return_memory_offset,
        gas_limit: spare_gas_limit,
        reservoir: spare_reservoir,
        bytecode_address: spare_bytecode_address,
        known_bytecode: _,
        target_address: spare_target_address,
        caller: spare_caller,
        value: spare_value,
        scheme: spare_scheme,
        is_static: spare_is_static,
        charged_new_account_state_gas: spare_charged,
    } = &mut *spare;
    *spare_input = CallInput::SharedBuffer(input);
    *spare_return_memory_offset = return_memory_offset;
    *spare_gas_limit = gas_limit;
    *spare_reservoir = reservoir;
    *spare_bytecode_address = to;
    *spare_target_address = target_address;
    *spare_caller = caller;
    *spare_value = value;
    *spare_scheme = call_scheme::<KIND>();
    *spare_is_static = is_static;
    *spare_charged = charged_new_account_state_gas;
    interpreter
        .bytecode
        .set_action(InterpreterAction::NewFrame(FrameInput::Call(spare)));
    Err(InstructionResult::Suspend)
}

/// revm's `get_memory_input_and_out_ranges` (with its `resize_memory`), restated with
/// the two zero-length checks first: a call without call data or return buffer touches
/// no memory and pays no memory gas, and builds its ranges without going through the
/// `Result` of each resize. Same pops, same checks in the same order, same ranges.
#[inline(always)]
fn memory_input_and_out_ranges(
    interpreter: &mut revm::interpreter::Interpreter<PooledInterpreter>,
    gas_params: &revm::context_interface::cfg::GasParams,
) -> Result<(core::ops::Range<usize>, core::ops::Range<usize>), InstructionResult> {
    let Some([in_offset, in_len, out_offset, out_len]) = interpreter.stack.popn() else {
        return Err(InstructionResult::StackUnderflow);
    };
    let in_len = as_usize(in_len)?;
    let mut in_range = usize::MAX..usize::MAX;
    if in_len != 0 {
        let offset = as_usize(in_offset)?;
        interpreter.resize_memory(gas_params, offset, in_len)?;
        let local = interpreter.memory.local_memory_offset();
        in_range = offset.saturating_add(local)..(offset + in_len).saturating_add(local);
    }
    let out_len = as_usize(out_len)?;
    let mut out_range = usize::MAX..usize::MAX;
    if out_len != 0 {
        let offset = as_usize(out_offset)?;
        interpreter.resize_memory(gas_params, offset, out_len)?;
        out_range = offset..offset + out_len;
    }
    Ok((in_range, out_range))
}

/// revm's `Address::from_word(to.into())` (the word's low 20 bytes, big-endian), built
/// from the limbs with three byte swaps instead of writing the 32-byte big-endian word
/// and taking its tail (which compiled to a vector shuffle sequence).
#[inline(always)]
fn address_from_word(word: &U256) -> Address {
    let limbs = word.as_limbs();
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&(limbs[2] as u32).to_be_bytes());
    bytes[4..12].copy_from_slice(&limbs[1].to_be_bytes());
    bytes[12..].copy_from_slice(&limbs[0].to_be_bytes());
    Address::from(bytes)
}

/// The call scheme of a `CALL`-family opcode.
#[inline(always)]
fn call_scheme<const KIND: u8>() -> CallScheme {
    match KIND {
        CALL => CallScheme::Call,
        CALLCODE => CallScheme::CallCode,
        DELEGATECALL => CallScheme::DelegateCall,
        _ => CallScheme::StaticCall,
    }
}

/// Whose account the callee runs as, who it sees as caller, and the value it sees, per
/// call kind (revm's `call`): `CALLCODE` and `DELEGATECALL` run as the current account,
/// `DELEGATECALL` keeps the current caller and value (apparent, not transferred).
#[inline(always)]
fn call_parties<const KIND: u8>(
    interpreter: &revm::interpreter::Interpreter<PooledInterpreter>,
    to: Address,
    value: U256,
) -> (Address, Address, CallValue) {
    let target_address = if KIND == CALLCODE || KIND == DELEGATECALL {
        interpreter.input.target_address()
    } else {
        to
    };
    let caller = if KIND == DELEGATECALL {
        interpreter.input.caller_address()
    } else {
        interpreter.input.target_address()
    };
    let value = if KIND == DELEGATECALL {
        CallValue::Apparent(interpreter.input.call_value())
    } else {
        CallValue::Transfer(value)
    };
    (target_address, caller, value)
}

/// `pooled_call` when the frame has no spare box (a pool miss): revm's `call` from the
/// account load on, with a newly allocated box (counted in the frame's slot).
#[cold]
#[inline(never)]
fn call_without_spare<const KIND: u8, H: Host + ?Sized>(
    mut context: InstructionContext<'_, H, PooledInterpreter>,
    to: Address,
    value: U256,
    has_transfer: bool,
    local_gas_limit: u64,
    input: core::ops::Range<usize>,
    return_memory_offset: core::ops::Range<usize>,
) -> InstructionExecResult {
    let mut known_bytecode = (B256::ZERO, Bytecode::default());
    let (gas_limit, charged_new_account_state_gas) = load_acc_and_calc_gas_into(
        &mut context,
        to,
        has_transfer,
        KIND == CALL,
        local_gas_limit,
        &mut known_bytecode,
    )?;
    let interpreter = &mut *context.interpreter;
    let (target_address, caller, value) = call_parties::<KIND>(interpreter, to, value);
    let boxed = allocate(
        &mut interpreter.extend.allocated,
        CallInputs {
            input: CallInput::SharedBuffer(input),
            gas_limit,
            target_address,
            caller,
            bytecode_address: to,
            known_bytecode,
            value,
            scheme: call_scheme::<KIND>(),
            is_static: interpreter.runtime_flag.is_static() || KIND == STATICCALL,
            return_memory_offset,
            reservoir: interpreter.gas.reservoir(),
            charged_new_account_state_gas,
        },
    );
    interpreter
        .bytecode
        .set_action(InterpreterAction::NewFrame(FrameInput::Call(boxed)));
    Err(InstructionResult::Suspend)
}

/// revm's `load_acc_and_calc_gas` (with `load_account_delegated`), restated so the
/// callee's code and hash go straight into `known` (the spare box's `known_bytecode`),
/// kept as they are when `known` already holds that code: revm returns a clone of the
/// code (a reference-count increment) in a tuple, and storing it in the box drops the
/// previous one (a decrement), on every CALL. Returns the call's gas limit and
/// whether EIP-8037 new-account state gas was charged. Same checks, same order, same
/// journal loads as revm's; the differential tests compare every path with stock revm.
#[inline(always)]
fn load_acc_and_calc_gas_into<H: Host + ?Sized>(
    context: &mut InstructionContext<'_, H, PooledInterpreter>,
    to: Address,
    transfers_value: bool,
    create_empty_account: bool,
    stack_gas_limit: u64,
    known: &mut (B256, Bytecode),
) -> Result<(u64, bool), InstructionResult> {
    let interpreter = &mut *context.interpreter;
    let host = &mut *context.host;
    if transfers_value {
        charge(
            interpreter
                .gas
                .record_regular_cost(host.gas_params().transfer_value_cost()),
        )?;
    }

    // `load_account_delegated`.
    let spec = interpreter.runtime_flag.spec_id();
    let remaining_gas = interpreter.gas.remaining();
    let mut cost = 0;
    let mut state_gas_cost = 0;
    let is_berlin = spec.is_enabled_in(SpecId::BERLIN);
    let additional_cold_cost = host.gas_params().cold_account_additional_cost();
    let skip_cold_load = is_berlin && remaining_gas < additional_cold_cost;
    let account = host.load_account_info_skip_cold_load(to, true, skip_cold_load)?;
    if is_berlin && account.is_cold {
        cost += additional_cold_cost;
    }
    set_known(known, account.code.as_ref(), account.code_hash());
    if create_empty_account && account.is_empty {
        let is_spurious_dragon = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
        cost += host
            .gas_params()
            .new_account_cost(is_spurious_dragon, transfers_value);
        if host.is_amsterdam_eip8037_enabled() && transfers_value {
            state_gas_cost += host.gas_params().new_account_state_gas();
        }
    } else if let Some(delegate) = account
        .code
        .as_ref()
        .filter(|code| code.is_eip7702())
        .and_then(Bytecode::eip7702_address)
    {
        cost += host.gas_params().warm_storage_read_cost();
        if cost > remaining_gas {
            return Err(LoadError::ColdLoadSkipped.into());
        }
        let skip_cold_load = remaining_gas < cost + additional_cold_cost;
        let delegate_account =
            host.load_account_info_skip_cold_load(delegate, true, skip_cold_load)?;
        if delegate_account.is_cold {
            cost += additional_cold_cost;
        }
        set_known(
            known,
            delegate_account.code.as_ref(),
            delegate_account.code_hash(),
        );
    }

    // Back in `load_acc_and_calc_gas`.
    let charged_new_account_state_gas = state_gas_cost > 0;
    charge(interpreter.gas.record_regular_cost(cost))?;
    // `record_state_cost(0)` changes nothing and succeeds: skipped.
    if state_gas_cost != 0 {
        charge(interpreter.gas.record_state_cost(state_gas_cost))?;
    }
    let mut gas_limit = if spec.is_enabled_in(SpecId::TANGERINE) {
        let reduced = host
            .gas_params()
            .call_stipend_reduction(interpreter.gas.remaining());
        reduced.min(stack_gas_limit)
    } else {
        stack_gas_limit
    };
    charge(interpreter.gas.record_regular_cost(gas_limit))?;
    if transfers_value {
        gas_limit = gas_limit.saturating_add(host.gas_params().call_stipend());
    }
    Ok((gas_limit, charged_new_account_state_gas))
}

/// Stores an account's code and code hash in a call's `known_bytecode` as revm does
/// (`code.clone().unwrap_or_default()`, `code_hash()`), unless `known` already holds
/// the same code (same hash, same bytes): then it stays, and no reference count moves.
#[inline(always)]
fn set_known(known: &mut (B256, Bytecode), code: Option<&Bytecode>, hash: B256) {
    match code {
        Some(code)
            if known.1.bytecode_ptr() == code.bytecode_ptr()
                && known.1.len() == code.len()
                && super::frame::same_hash(&known.0, &hash) => {}
        Some(code) => *known = (hash, code.clone()),
        None => *known = (hash, Bytecode::default()),
    }
}

/// revm's `CREATE`/`CREATE2` (`instructions::contract::create`), filling the frame's
/// spare inputs box instead of allocating a new one. The init code is still copied into
/// a new `Bytes`: `CreateInputs` owns it.
pub fn pooled_create<const IS_CREATE2: bool, H: Host + ?Sized>(
    context: InstructionContext<'_, H, PooledInterpreter>,
) -> InstructionExecResult {
    let InstructionContext { interpreter, host } = context;
    if interpreter.runtime_flag.is_static() {
        return Err(InstructionResult::StateChangeDuringStaticCall);
    }
    let spec = interpreter.runtime_flag.spec_id();
    if IS_CREATE2 && !spec.is_enabled_in(SpecId::PETERSBURG) {
        return Err(InstructionResult::NotActivated);
    }
    let Some([value, code_offset, len]) = interpreter.stack.popn() else {
        return Err(InstructionResult::StackUnderflow);
    };
    let len = as_usize(len)?;

    let mut code = Bytes::new();
    if len != 0 {
        if spec.is_enabled_in(SpecId::SHANGHAI) {
            if len > host.max_initcode_size() {
                return Err(InstructionResult::CreateInitCodeSizeLimit);
            }
            charge(
                interpreter
                    .gas
                    .record_regular_cost(host.gas_params().initcode_cost(len)),
            )?;
        }
        let code_offset = as_usize(code_offset)?;
        interpreter.resize_memory(host.gas_params(), code_offset, len)?;
        code = Bytes::copy_from_slice(interpreter.memory.slice_len(code_offset, len).as_ref());
    }

    let scheme = if IS_CREATE2 {
        let Some([salt]) = interpreter.stack.popn() else {
            return Err(InstructionResult::StackUnderflow);
        };
        charge(
            interpreter
                .gas
                .record_regular_cost(host.gas_params().create2_cost(len)),
        )?;
        CreateScheme::Create2 { salt }
    } else {
        charge(
            interpreter
                .gas
                .record_regular_cost(host.gas_params().create_cost()),
        )?;
        CreateScheme::Create
    };

    let mut create_inputs = CreateInputs::new(
        interpreter.input.target_address(),
        scheme,
        value,
        code,
        0,
        0,
    );

    if host.is_amsterdam_eip8037_enabled() {
        let caller = create_inputs.caller();
        let caller_info = host.load_account_info_skip_cold_load(caller, false, false)?;
        let caller_balance = caller_info.account.balance;
        let caller_nonce = caller_info.account.nonce;
        if caller_balance < value
            || caller_nonce == u64::MAX
            || interpreter.input.depth() + 1 > CALL_STACK_LIMIT as usize
        {
            interpreter.return_data.clear();
            if !interpreter.stack.push(U256::ZERO) {
                return Err(InstructionResult::StackOverflow);
            }
            return Ok(());
        }
        let created_address = create_inputs.created_address(caller_nonce);
        let destination_alive = !host
            .load_account_info_skip_cold_load(created_address, false, false)?
            .is_empty;
        if !destination_alive {
            if !interpreter
                .gas
                .record_state_cost(host.gas_params().create_state_gas())
            {
                return Err(InstructionResult::OutOfGas);
            }
            create_inputs.set_charged_create_state_gas(true);
        }
    }

    let mut gas_limit = interpreter.gas.remaining();
    if spec.is_enabled_in(SpecId::TANGERINE) {
        gas_limit = host.gas_params().call_stipend_reduction(gas_limit);
    }
    charge(interpreter.gas.record_regular_cost(gas_limit))?;

    create_inputs.set_gas_limit(gas_limit);
    create_inputs.set_reservoir(interpreter.gas.reservoir());
    let boxed = match interpreter.extend.spare_create_inputs.take() {
        Some(mut spare) => {
            *spare = create_inputs;
            spare
        }
        None => allocate(&mut interpreter.extend.allocated, create_inputs),
    };
    interpreter
        .bytecode
        .set_action(InterpreterAction::NewFrame(FrameInput::Create(boxed)));
    Err(InstructionResult::Suspend)
}

/// revm's `as_usize_or_fail!`.
#[inline]
fn as_usize(value: U256) -> Result<usize, InstructionResult> {
    let limbs = value.as_limbs();
    if limbs[0] > usize::MAX as u64 || limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 {
        return Err(InstructionResult::InvalidOperandOOG);
    }
    Ok(limbs[0] as usize)
}

/// revm's `gas!`: out of gas unless the charge was recorded.
#[inline]
fn charge(recorded: bool) -> Result<(), InstructionResult> {
    if recorded {
        Ok(())
    } else {
        Err(InstructionResult::OutOfGas)
    }
}

/// The pool-miss path of `pooled_call`/`pooled_create`: boxes `inputs` and counts the
/// allocation in the frame's slot (kept out of line: the hit path stays as it was).
#[cold]
#[inline(never)]
fn allocate<T>(allocated: &mut u64, inputs: T) -> Box<T> {
    *allocated += 1;
    Box::new(inputs)
}

/// Where a finished call's inputs box goes: back into the calling frame's empty slot
/// (the slot its `CALL` emptied), or, when there is no caller or the slot is taken, the
/// pool.
pub(crate) struct ReturnToCaller<'a, R> {
    pub(crate) caller: Option<&'a mut FrameExtras>,
    pub(crate) pool: &'a mut R,
}

impl<R: super::frame::InputsRecycler> super::frame::InputsRecycler for ReturnToCaller<'_, R> {
    #[inline]
    fn recycle_call(&mut self, inputs: Box<CallInputs>) {
        match self.caller.as_deref_mut() {
            Some(FrameExtras {
                spare_call_inputs: slot @ None,
                ..
            }) => *slot = Some(inputs),
            _ => self.pool.recycle_call(inputs),
        }
    }

    #[inline]
    fn recycle_create(&mut self, inputs: Box<CreateInputs>) {
        match self.caller.as_deref_mut() {
            Some(FrameExtras {
                spare_create_inputs: slot @ None,
                ..
            }) => *slot = Some(inputs),
            _ => self.pool.recycle_create(inputs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::address_from_word;
    use revm::primitives::{Address, U256};

    /// The limb-wise conversion gives revm's `Address::from_word` for words with every
    /// byte distinct, all bits set, high bits beyond the address, and zero.
    #[test]
    fn address_from_word_matches_revm() {
        let mut distinct = [0u8; 32];
        for (i, b) in distinct.iter_mut().enumerate() {
            *b = i as u8 + 1;
        }
        let words = [
            U256::from_be_bytes(distinct),
            U256::MAX,
            U256::from(1u64) << 200,
            U256::from(0xdead_beef_u64),
            U256::ZERO,
        ];
        for word in words {
            assert_eq!(address_from_word(&word), Address::from_word(word.into()));
        }
    }
}
