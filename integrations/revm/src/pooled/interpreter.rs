//! The pooled EVM's interpreter types and its `CALL`-family instructions.
//!
//! revm's interpreter is generic over [`InterpreterTypes`]; the pooled EVM swaps in
//! [`PooledStack`] (a window of the shared stack buffer) and gives every interpreter a
//! [`FrameExtras`] slot through which the `CALL` instructions receive a recycled
//! `Box<CallInputs>`. revm's action type fixes the box (`FrameInput::Call(Box<_>)`), so
//! the allocation cannot be removed, only reused: these instructions are revm's `call`
//! with `Box::new` replaced by "refill the spare box if there is one".

use super::stack::PooledStack;
use revm::bytecode::opcode::{CALL, CALLCODE, DELEGATECALL, STATICCALL};
use revm::context_interface::Host;
use revm::interpreter::instructions::contract::{
    get_memory_input_and_out_ranges, load_acc_and_calc_gas,
};
use revm::interpreter::interpreter::{ExtBytecode, InputsImpl, ReturnDataImpl, RuntimeFlags};
use revm::interpreter::interpreter_types::{InputsTr, LoopControl, RuntimeFlag, StackTr};
use revm::interpreter::{
    CallInput, CallInputs, CallScheme, CallValue, FrameInput, InstructionContext,
    InstructionExecResult, InstructionResult, InterpreterAction, InterpreterTypes, SharedMemory,
};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, U256};

/// [`InterpreterTypes`] of the pooled EVM: revm's components except the stack
/// ([`PooledStack`]) and the extension slot ([`FrameExtras`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PooledInterpreter;

impl InterpreterTypes for PooledInterpreter {
    type Stack = PooledStack;
    type Memory = SharedMemory;
    type Bytecode = ExtBytecode;
    type ReturnData = ReturnDataImpl;
    type Input = InputsImpl;
    type RuntimeFlag = RuntimeFlags;
    type Extend = FrameExtras;
    type Output = InterpreterAction;
}

/// Per-interpreter slot through which the EVM lends a recycled inputs box to the
/// running frame's `CALL` instructions.
#[derive(Debug, Default)]
pub struct FrameExtras {
    /// A recycled box the next `CALL`/`CALLCODE`/`DELEGATECALL`/`STATICCALL` fills
    /// instead of allocating; `None` makes that instruction allocate (a pool miss).
    pub spare_call_inputs: Option<Box<CallInputs>>,
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
    let to = Address::from_word(to.into());
    let local_gas_limit = u64::try_from(local_gas_limit).unwrap_or(u64::MAX);
    let has_transfer = !value.is_zero();

    if KIND == CALL && context.interpreter.runtime_flag.is_static() && has_transfer {
        return Err(InstructionResult::CallNotAllowedInsideStatic);
    }

    let (input, return_memory_offset) =
        get_memory_input_and_out_ranges(context.interpreter, context.host.gas_params())?;

    let (gas_limit, bytecode, bytecode_hash, charged_new_account_state_gas) =
        load_acc_and_calc_gas(
            &mut context,
            to,
            has_transfer,
            KIND == CALL,
            local_gas_limit,
        )?;

    let interpreter = &mut *context.interpreter;
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
    let scheme = match KIND {
        CALL => CallScheme::Call,
        CALLCODE => CallScheme::CallCode,
        DELEGATECALL => CallScheme::DelegateCall,
        _ => CallScheme::StaticCall,
    };
    let is_static = interpreter.runtime_flag.is_static() || KIND == STATICCALL;
    let inputs = CallInputs {
        input: CallInput::SharedBuffer(input),
        gas_limit,
        target_address,
        caller,
        bytecode_address: to,
        known_bytecode: (bytecode_hash, bytecode),
        value,
        scheme,
        is_static,
        return_memory_offset,
        reservoir: interpreter.gas.reservoir(),
        charged_new_account_state_gas,
    };
    let boxed = match interpreter.extend.spare_call_inputs.take() {
        Some(mut spare) => {
            *spare = inputs;
            spare
        }
        None => Box::new(inputs),
    };
    interpreter
        .bytecode
        .set_action(InterpreterAction::NewFrame(FrameInput::Call(boxed)));
    Err(InstructionResult::Suspend)
}
