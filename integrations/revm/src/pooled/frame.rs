//! The pooled call frame: revm's frame logic (call/create setup, result handling, gas
//! settlement) on an interpreter whose stack is a window of the shared buffer.
//!
//! The logic follows `revm_handler::EthFrame` line by line; revm implements it only for
//! its own interpreter types, so it is restated here for [`PooledInterpreter`]. Every
//! rule (depth limit, value transfer, precompiles, EIP-150 gas, EIP-8037 state gas,
//! code deposit) goes through revm's public functions where revm exposes them
//! (`handle_reservoir_remaining_gas`, `return_create`, the journal), and the
//! differential tests compare the result with stock revm on every path.

use super::interpreter::{FrameExtras, PooledInterpreter};
use super::memory::{self, PooledMemory};
use super::stack::PooledStack;
use evm_pool::FrameKind;
use revm::bytecode::Bytecode;
use revm::context::result::FromStringError;
use revm::context_interface::context::take_error;
use revm::context_interface::journaled_state::JournalCheckpoint;
use revm::context_interface::journaled_state::account::JournaledAccountTr;
use revm::context_interface::{Cfg, ContextTr, Database, JournalTr};
use revm::handler::{
    CallFrame, CreateFrame, FrameData, FrameInitOrResult, FrameResult, FrameTr, ItemOrResult,
    PrecompileProvider, handle_reservoir_remaining_gas, return_create,
};
use revm::interpreter::interpreter::{ExtBytecode, ReturnDataImpl, RuntimeFlags};
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::interpreter_types::{Jumps, LoopControl, MemoryTr, ReturnData, StackTr};
use revm::interpreter::{
    CallInput, CallInputs, CallOutcome, CallScheme, CallValue, CreateInputs, CreateOutcome,
    CreateScheme, FrameInput, Gas, InputsImpl, InstructionResult, Interpreter, InterpreterAction,
    InterpreterResult, SharedMemory,
};
use revm::primitives::constants::CALL_STACK_LIMIT;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, B256, Bytes, U256};

/// The database error of a context; frame operations return any error that converts
/// from it (revm's `ContextTrDbError`).
pub type FrameError<CTX> = <<CTX as ContextTr>::Db as Database>::Error;

/// A call frame of the pooled EVM: the payload of a [`FrameManager`](super::FrameManager)'s pooled frames,
/// so frames are kept and reused by the frame pool manager; a frame's operand stack and
/// memory are views of the shared buffers while it runs.
///
/// `#[optimize_layout]` lays the fields out in descending alignment under `repr(C)` and
/// proves the layout at compile time; `PooledFrame::layout_report()` prints it.
#[evm_pool::optimize_layout]
#[derive(Debug)]
pub struct PooledFrame {
    /// Call or create bookkeeping (return memory range, created address).
    pub data: FrameData,
    /// The inputs the frame was created from (a pooled box, recycled when the frame ends).
    pub input: FrameInput,
    /// Call depth (0 for the transaction's first frame).
    pub depth: usize,
    /// Journal checkpoint to commit or revert when the frame ends.
    pub checkpoint: JournalCheckpoint,
    /// The interpreter running this frame's code.
    pub interpreter: Interpreter<PooledInterpreter>,
    /// Whether the frame has produced its result.
    pub is_finished: bool,
}

impl FrameTr for PooledFrame {
    type FrameResult = FrameResult;
    type FrameInit = FrameInit;
}

impl Default for PooledFrame {
    fn default() -> Self {
        Self {
            data: FrameData::Call(CallFrame {
                return_memory_range: 0..0,
            }),
            input: FrameInput::Empty,
            depth: 0,
            checkpoint: JournalCheckpoint::default(),
            interpreter: Interpreter {
                bytecode: ExtBytecode::default(),
                gas: Gas::new(0),
                stack: PooledStack::default(),
                return_data: ReturnDataImpl::default(),
                memory: PooledMemory::default(),
                input: InputsImpl::default(),
                runtime_flag: RuntimeFlags {
                    is_static: false,
                    spec_id: SpecId::default(),
                },
                extend: FrameExtras::default(),
            },
            is_finished: false,
        }
    }
}

/// Everything a new frame is initialized from (what revm passes to `EthFrame::clear`).
#[derive(Debug)]
pub struct FrameSetup {
    data: FrameData,
    input: FrameInput,
    depth: usize,
    is_static: bool,
    spec_id: SpecId,
    gas_limit: u64,
    reservoir: u64,
    checkpoint: JournalCheckpoint,
}

/// Boxes of call/create inputs that came back from finished frames, for reuse.
pub trait InputsRecycler {
    /// Takes back a call-inputs box.
    fn recycle_call(&mut self, inputs: Box<CallInputs>);
    /// Takes back a create-inputs box.
    fn recycle_create(&mut self, inputs: Box<CreateInputs>);
}

impl PooledFrame {
    /// Initializes a (reused) frame from `setup`, in place. The bytecode is installed
    /// (or rewound) in the frame's slot by the caller before this. The stack and memory are
    /// attached separately (the parent's [`StackWindow::enter_child`] and
    /// [`PooledMemory::enter_child_into`]) once the frame is known to run.
    ///
    /// [`StackWindow::enter_child`]: evm_pool::StackWindow::enter_child
    #[inline(always)]
    pub fn init(&mut self, setup: FrameSetup) {
        let FrameSetup {
            data,
            input,
            depth,
            is_static,
            spec_id,
            gas_limit,
            reservoir,
            checkpoint,
        } = setup;
        self.data = data;
        self.input = input;
        self.depth = depth;
        self.is_finished = false;
        self.checkpoint = checkpoint;
        let it = &mut self.interpreter;
        it.gas = Gas::new_with_regular_gas_and_reservoir(gas_limit, reservoir);
        clear_return_data(&mut it.return_data);
        it.runtime_flag = RuntimeFlags { spec_id, is_static };
    }

    /// Ends the frame: hands its inputs box to `recycler`. (The stack and memory buffers
    /// go back to the parent through [`StackWindow::resume`] and
    /// [`PooledMemory::resume`].)
    ///
    /// [`StackWindow::resume`]: evm_pool::StackWindow::resume
    #[inline(always)]
    pub fn finish(&mut self, recycler: &mut impl InputsRecycler) {
        match core::mem::replace(&mut self.input, FrameInput::Empty) {
            FrameInput::Call(inputs) => recycler.recycle_call(inputs),
            FrameInput::Create(inputs) => recycler.recycle_create(inputs),
            FrameInput::Empty => {}
        }
        clear_return_data(&mut self.interpreter.return_data);
    }

    /// Turns the interpreter's action into a child frame request or this frame's result
    /// (commits or reverts the journal checkpoint; for creates, deposits the code).
    pub fn process_next_action<CTX: ContextTr, ERROR: From<FrameError<CTX>> + FromStringError>(
        &mut self,
        context: &mut CTX,
        next_action: InterpreterAction,
    ) -> Result<FrameInitOrResult<Self>, ERROR> {
        match next_action {
            InterpreterAction::NewFrame(frame_input) => Ok(ItemOrResult::Item(FrameInit {
                frame_input,
                depth: self.depth + 1,
                // revm's per-frame memory handle is not used: the EVM hands this
                // frame's memory view to the child (`PooledMemory::enter_child_into`).
                memory: SharedMemory::invalid(),
            })),
            InterpreterAction::Return(result) => {
                Ok(ItemOrResult::Result(self.frame_result(context, result)))
            }
        }
    }

    /// This frame's result from the interpreter's `result` (the `Return` half of
    /// [`process_next_action`](Self::process_next_action)): commits or reverts the
    /// journal checkpoint; for creates, deposits the code.
    #[inline(always)]
    pub(crate) fn frame_result<CTX: ContextTr>(
        &mut self,
        context: &mut CTX,
        mut interpreter_result: InterpreterResult,
    ) -> FrameResult {
        match &self.data {
            FrameData::Call(frame) => {
                if interpreter_result.result.is_ok() {
                    context.journal_mut().checkpoint_commit();
                } else {
                    context.journal_mut().checkpoint_revert(self.checkpoint);
                }
                let charged_new_account_state_gas = match &self.input {
                    FrameInput::Call(inputs) => inputs.charged_new_account_state_gas,
                    _ => false,
                };
                let mut outcome =
                    CallOutcome::new(interpreter_result, frame.return_memory_range.clone());
                outcome.charged_new_account_state_gas = charged_new_account_state_gas;
                FrameResult::Call(outcome)
            }
            FrameData::Create(frame) => {
                return_create(
                    context,
                    self.checkpoint,
                    &mut interpreter_result,
                    frame.created_address,
                );
                let mut outcome =
                    CreateOutcome::new(interpreter_result, Some(frame.created_address));
                outcome.charged_create_state_gas = match &self.input {
                    FrameInput::Create(inputs) => inputs.charged_create_state_gas(),
                    _ => false,
                };
                FrameResult::Create(outcome)
            }
        }
    }

    /// Inserts a child's result into this (parent) frame: status word on the stack,
    /// return data, output copied to memory, gas settled.
    pub fn return_result<CTX: ContextTr, ERROR: From<FrameError<CTX>> + FromStringError>(
        &mut self,
        ctx: &mut CTX,
        result: FrameResult,
    ) -> Result<(), ERROR> {
        // The child's memory is already gone: the EVM resumed this frame's memory view
        // (`PooledMemory::resume`, revm's `free_child_context`) before this call.
        match result {
            FrameResult::Call(outcome) => {
                // Taken apart field by field: only a precompile call carries logs here,
                // and nothing reads them (revm's frame drops them too). An empty,
                // unallocated `Vec` owns nothing, so it is forgotten rather than run
                // through the out-of-line drop glue on every CALL.
                let CallOutcome {
                    result: out,
                    memory_offset,
                    precompile_call_logs,
                    charged_new_account_state_gas,
                    ..
                } = outcome;
                if precompile_call_logs.capacity() == 0 {
                    core::mem::forget(precompile_call_logs);
                } else {
                    drop(precompile_call_logs);
                }
                self.insert_call_result(ctx, out, memory_offset, charged_new_account_state_gas)
            }
            FrameResult::Create(outcome) => {
                take_context_error::<CTX, ERROR>(ctx)?;
                // revm's `FrameResult::refundable_state_gas` for a create.
                let refund_state_gas = ((outcome.address.is_none()
                    || !outcome.instruction_result().is_ok())
                    && outcome.charged_create_state_gas)
                    .then(|| ctx.cfg().gas_params().create_state_gas());
                let instruction_result = *outcome.instruction_result();
                let interpreter = &mut self.interpreter;
                if instruction_result == InstructionResult::Revert {
                    interpreter
                        .return_data
                        .set_buffer(outcome.output().to_owned());
                } else {
                    interpreter.return_data.clear();
                }
                assert_ne!(
                    instruction_result,
                    InstructionResult::FatalExternalError,
                    "Fatal external error in insert_eofcreate_outcome"
                );
                let mut create_gas = *outcome.gas();
                handle_reservoir_remaining_gas(
                    instruction_result,
                    interpreter.gas.tracker_mut(),
                    create_gas.tracker_mut(),
                );
                let stack_item = if instruction_result.is_ok() {
                    outcome.address.unwrap_or_default().into_word().into()
                } else {
                    U256::ZERO
                };
                let _ = interpreter.stack.push(stack_item);
                if let Some(charge) = refund_state_gas {
                    self.interpreter.gas.refill_reservoir(charge);
                }
                Ok(())
            }
        }
    }

    /// Inserts a call's result into this (parent) frame (the `Call` half of
    /// [`return_result`](Self::return_result), taking the outcome's parts): status word
    /// on the stack, return data, output copied to `memory_offset`, gas settled, and
    /// EIP-8037 state gas refunded when the call failed after charging it.
    #[inline(always)]
    pub(crate) fn insert_call_result<
        CTX: ContextTr,
        ERROR: From<FrameError<CTX>> + FromStringError,
    >(
        &mut self,
        ctx: &mut CTX,
        out: InterpreterResult,
        memory_offset: core::ops::Range<usize>,
        charged_new_account_state_gas: bool,
    ) -> Result<(), ERROR> {
        take_context_error::<CTX, ERROR>(ctx)?;
        // revm's `FrameResult::refundable_state_gas` for a call.
        let refund_state_gas = (charged_new_account_state_gas && !out.result.is_ok())
            .then(|| ctx.cfg().gas_params().new_account_state_gas());
        let mut out_gas = out.gas;
        let ins_result = out.result;
        let returned_len = out.output.len();
        let interpreter = &mut self.interpreter;
        let mem_length = memory_offset.len();
        let mem_start = memory_offset.start;
        interpreter.return_data.set_buffer(out.output);
        let target_len = mem_length.min(returned_len);
        // revm panics here too: a fatal external error cannot be inserted.
        assert_ne!(
            ins_result,
            InstructionResult::FatalExternalError,
            "Fatal external error in insert_call_outcome"
        );
        let item = if ins_result.is_ok() {
            U256::from(1)
        } else {
            U256::ZERO
        };
        // The child's CALL popped at least seven words, so this cannot overflow.
        let _ = interpreter.stack.push(item);
        if ins_result.is_ok_or_revert() {
            interpreter
                .memory
                .set(mem_start, &interpreter.return_data.buffer()[..target_len]);
        }
        handle_reservoir_remaining_gas(
            ins_result,
            interpreter.gas.tracker_mut(),
            out_gas.tracker_mut(),
        );
        if let Some(charge) = refund_state_gas {
            self.interpreter.gas.refill_reservoir(charge);
        }
        Ok(())
    }
}

/// A call or create that runs code, as `make_call_frame`/`make_create_frame` leave it:
/// checks done, journal checkpoint taken, value transferred. The EVM then finds its
/// frame (the transaction's frame at this depth, or one from the [`FrameManager`](super::FrameManager)) and
/// [`install`](Self::install)s it there, so calls that end without a frame (plain
/// transfers, precompiles, empty code, depth limit) never touch the frame pool.
#[derive(Debug)]
pub(crate) enum Ready {
    /// A call.
    Call {
        /// Its inputs.
        inputs: Box<CallInputs>,
        /// The journal checkpoint to commit or revert when the frame ends.
        checkpoint: JournalCheckpoint,
    },
    /// A create (its new account in the caller's [`CreateTarget`]: kept out of this
    /// enum, which every `CALL` moves, so a call moves 32 bytes rather than 96).
    Create {
        /// Its inputs.
        inputs: Box<CreateInputs>,
        /// The journal checkpoint to commit or revert when the frame ends.
        checkpoint: JournalCheckpoint,
    },
}

/// A create's new account, written by `make_create_frame` for [`Ready::install`].
#[derive(Debug, Default)]
pub(crate) struct CreateTarget {
    /// The new account.
    pub(crate) address: Address,
    /// `CREATE2`'s init-code hash (`None` for `CREATE`).
    pub(crate) init_code_hash: Option<B256>,
}

impl Ready {
    /// The frame pool's kind for this frame.
    #[inline(always)]
    pub(crate) fn kind(&self) -> FrameKind {
        match self {
            Self::Call { inputs, .. } => call_kind(inputs.scheme),
            Self::Create { inputs, .. } => match inputs.scheme() {
                CreateScheme::Create2 { .. } => FrameKind::Create2,
                _ => FrameKind::Create,
            },
        }
    }

    /// Initializes `frame` for this call or create at `depth`, as `EthFrame`'s
    /// `make_call_frame`/`make_create_frame` end (`target`: what `make_create_frame`
    /// wrote for a create).
    #[inline(always)]
    pub(crate) fn install(
        self,
        frame: &mut PooledFrame,
        depth: usize,
        spec_id: SpecId,
        target: &CreateTarget,
    ) {
        match self {
            Self::Call { inputs, checkpoint } => {
                install_call(frame, inputs, checkpoint, depth, spec_id)
            }
            Self::Create { inputs, checkpoint } => {
                let created_address = target.address;
                let init_code_hash = target.init_code_hash;
                frame.interpreter.bytecode = ExtBytecode::new_with_optional_hash(
                    Bytecode::new_legacy(inputs.init_code().clone()),
                    init_code_hash,
                );
                set_inputs(
                    &mut frame.interpreter.input,
                    InputsImpl {
                        target_address: created_address,
                        caller_address: inputs.caller(),
                        bytecode_address: None,
                        input: CallInput::Bytes(Bytes::new()),
                        call_value: inputs.value(),
                        depth,
                    },
                );
                let (gas_limit, reservoir) = (inputs.gas_limit(), inputs.reservoir());
                frame.init(FrameSetup {
                    data: FrameData::Create(CreateFrame { created_address }),
                    input: FrameInput::Create(inputs),
                    depth,
                    is_static: false,
                    spec_id,
                    gas_limit,
                    reservoir,
                    checkpoint,
                });
            }
        }
    }
}

/// A call's frame: bytecode, interpreter inputs and the frame setup.
#[inline(always)]
fn install_call(
    frame: &mut PooledFrame,
    inputs: Box<CallInputs>,
    checkpoint: JournalCheckpoint,
    depth: usize,
    spec_id: SpecId,
) {
    let (bytecode_hash, code) = &inputs.known_bytecode;
    // A reused frame that last ran this very code (same hash, same shared bytes) keeps
    // its analysed bytecode and only rewinds it; otherwise install it as revm does.
    // Written in the frame's slot directly: an `Option<ExtBytecode>` (160 bytes) moved
    // through `FrameSetup` cost a `memcpy` per CALL even when it was `None`.
    let slot = &mut frame.interpreter.bytecode;
    if slot
        .hash()
        .is_some_and(|hash| same_hash(&hash, bytecode_hash))
        && slot.bytecode_ptr() == code.bytecode_ptr()
    {
        // Exactly what `ExtBytecode::new_with_hash` would give: first instruction, no
        // pending action, execution continues. (The frame's last action was taken when
        // it ended, so the drop glue runs only when one is left.)
        slot.absolute_jump(0);
        if slot.action().is_some() {
            *slot.action() = None;
        }
        slot.reset_action();
    } else {
        *slot = ExtBytecode::new_with_hash(code.clone(), *bytecode_hash);
    }

    set_inputs(
        &mut frame.interpreter.input,
        InputsImpl {
            target_address: inputs.target_address,
            caller_address: inputs.caller,
            bytecode_address: Some(inputs.bytecode_address),
            input: inputs.input.clone(),
            call_value: inputs.value.get(),
            depth,
        },
    );
    let (is_static, gas_limit, reservoir) = (inputs.is_static, inputs.gas_limit, inputs.reservoir);
    frame.init(FrameSetup {
        data: FrameData::Call(CallFrame {
            return_memory_range: inputs.return_memory_offset.clone(),
        }),
        input: FrameInput::Call(inputs),
        depth,
        is_static,
        spec_id,
        gas_limit,
        reservoir,
        checkpoint,
    });
}

/// revm's `take_error(ctx.error())`, which replaces the context's error slot with
/// `Ok(())` on every call; here the slot is only read when it holds no error (the
/// common case), and drained as revm drains it otherwise.
#[inline(always)]
fn take_context_error<CTX: ContextTr, ERROR: From<FrameError<CTX>> + FromStringError>(
    ctx: &mut CTX,
) -> Result<(), ERROR> {
    let error = ctx.error();
    if error.is_ok() {
        return Ok(());
    }
    take_error::<ERROR, _>(error)
}

/// Empties a frame's return data (revm's `ReturnData::clear`), unless it is empty
/// already: most frames make no call that returns data, and replacing an empty buffer
/// ran its drop through the `Bytes` vtable at each frame's start and end.
#[inline(always)]
fn clear_return_data(return_data: &mut ReturnDataImpl) {
    if !return_data.buffer().is_empty() {
        return_data.clear();
    }
}

/// Whether two hashes are equal, compared as two 128-bit words: `B256`'s `==` compiles to
/// a `bcmp` call (about 25 instructions) on a path every CALL takes.
#[inline(always)]
pub(crate) fn same_hash(a: &B256, b: &B256) -> bool {
    let half = |h: &B256, i: usize| {
        let mut word = [0u8; 16];
        word.copy_from_slice(&h.0[i * 16..i * 16 + 16]);
        u128::from_ne_bytes(word)
    };
    ((half(a, 0) ^ half(b, 0)) | (half(a, 1) ^ half(b, 1))) == 0
}

/// The manager refused a frame (its class is at its max and its overflow policy is
/// `Fail`): the transaction fails with revm's custom error, as any other host error.
#[cold]
#[inline(never)]
pub(crate) fn pool_error<ERROR: FromStringError>(error: evm_pool::FrameError) -> ERROR {
    ERROR::from_string(format!("frame pool: {error}"))
}

/// The pool's frame kind for a call scheme.
#[inline(always)]
fn call_kind(scheme: CallScheme) -> FrameKind {
    match scheme {
        CallScheme::Call => FrameKind::Call,
        CallScheme::CallCode => FrameKind::CallCode,
        CallScheme::DelegateCall => FrameKind::DelegateCall,
        CallScheme::StaticCall => FrameKind::StaticCall,
    }
}

/// How a call or create ended without running a frame.
///
/// A call that runs no code (depth limit, failed transfer, empty code: every plain
/// transfer) reports only a status and its gas; the pooled EVM builds its
/// `FrameResult` ([`into_result`](Self::into_result)) in place where `frame_init`
/// returns it. A full result (a precompile's, a failed create's) is written to the
/// caller's `Option<FrameResult>` instead of travelling in this enum: a 152-byte
/// variant here made every frameless call move the whole enum twice.
#[derive(Debug)]
pub(crate) enum Frameless {
    /// A call that ran no code: the `CallOutcome` of `EthFrame::make_call_frame`, with
    /// no output, no precompile call and no logs.
    Status {
        /// Why the call ended.
        result: InstructionResult,
        /// The call's gas, untouched.
        gas: Gas,
        /// Where the caller wanted the output.
        memory_offset: core::ops::Range<usize>,
        /// Copied from the call inputs (EIP-8037).
        charged_new_account_state_gas: bool,
    },
    /// The result was written to the `full` slot passed in.
    Full,
}

impl Frameless {
    /// The call's `FrameResult`, as `EthFrame::make_call_frame` returns it; `full` is
    /// the slot a [`Full`](Self::Full) result was written to.
    #[inline(always)]
    pub(crate) fn into_result(self, full: &mut Option<FrameResult>) -> Option<FrameResult> {
        match self {
            Self::Status {
                result,
                gas,
                memory_offset,
                charged_new_account_state_gas,
            } => Some(FrameResult::Call(CallOutcome {
                result: InterpreterResult {
                    result,
                    gas,
                    output: Bytes::new(),
                },
                memory_offset,
                was_precompile_called: false,
                precompile_call_logs: Vec::new(),
                charged_new_account_state_gas,
            })),
            Self::Full => full.take(),
        }
    }
}

/// Prepares a call ([`Ready`]) or reports how the call ended when no code runs
/// (depth limit, failed transfer, precompile, empty code): a [`Frameless`] status, or a
/// precompile's full result written to `full`. Mirrors `EthFrame::make_call_frame`; the
/// inputs box goes back to `recycler` when no frame keeps it.
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of the EVM it borrows are disjoint fields; a struct of them would be rebuilt per call"
)]
#[inline(always)]
pub(crate) fn make_call_frame<CTX, PRECOMPILES, ERROR>(
    ctx: &mut CTX,
    precompiles: &mut PRECOMPILES,
    depth: usize,
    caller_memory: Option<&PooledMemory>,
    mut inputs: Box<CallInputs>,
    recycler: &mut impl InputsRecycler,
    full: &mut Option<FrameResult>,
) -> Result<ItemOrResult<Ready, Frameless>, ERROR>
where
    CTX: ContextTr,
    PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
    ERROR: From<FrameError<CTX>> + FromStringError,
{
    // A result without a frame (no code runs): only its status and gas (built here,
    // from fields no step below changes, so a call that runs code does not build it),
    // the caller builds the `FrameResult` where it goes ...
    let call_result =
        |instruction_result: InstructionResult, inputs: &CallInputs| Frameless::Status {
            result: instruction_result,
            gas: Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir),
            memory_offset: inputs.return_memory_offset.clone(),
            charged_new_account_state_gas: inputs.charged_new_account_state_gas,
        };
    // ... and the inputs box goes straight back to the pool.
    let mut finish = |result: Frameless, inputs: Box<CallInputs>| {
        recycler.recycle_call(inputs);
        Ok(ItemOrResult::Result(result))
    };

    if depth > CALL_STACK_LIMIT as usize {
        return finish(call_result(InstructionResult::CallTooDeep, &inputs), inputs);
    }

    let checkpoint = ctx.journal_mut().checkpoint();

    if let CallValue::Transfer(value) = inputs.value
        && let Some(i) =
            ctx.journal_mut()
                .transfer_loaded(inputs.caller, inputs.target_address, value)
    {
        ctx.journal_mut().checkpoint_revert(checkpoint);
        return finish(call_result(i.into(), &inputs), inputs);
    }

    // revm's precompiles read call data in the context's buffer, not in our memory.
    let staged = match (caller_memory, &inputs.input) {
        (Some(caller), CallInput::SharedBuffer(range))
            if !range.is_empty() && precompiles.contains(&inputs.bytecode_address) =>
        {
            memory::stage_precompile_input(ctx, caller, &mut inputs.input)
        }
        _ => None,
    };
    if let Some(result) = precompiles.run(ctx, &inputs).map_err(ERROR::from_string)? {
        let mut logs = Vec::new();
        if result.result.is_ok() {
            ctx.journal_mut().checkpoint_commit();
        } else {
            logs = ctx.journal_mut().logs()[checkpoint.log_i..].to_vec();
            ctx.journal_mut().checkpoint_revert(checkpoint);
        }
        let outcome = CallOutcome {
            result,
            memory_offset: inputs.return_memory_offset.clone(),
            was_precompile_called: true,
            precompile_call_logs: logs,
            charged_new_account_state_gas: inputs.charged_new_account_state_gas,
        };
        *full = Some(FrameResult::Call(outcome));
        return finish(Frameless::Full, inputs);
    }
    memory::unstage_precompile_input(&mut inputs.input, staged);

    if inputs.known_bytecode.1.is_empty() {
        ctx.journal_mut().checkpoint_commit();
        return finish(call_result(InstructionResult::Stop, &inputs), inputs);
    }
    // Code runs: the EVM installs the call in its frame (`Ready::install`).
    Ok(ItemOrResult::Item(Ready::Call { inputs, checkpoint }))
}

/// Prepares a create ([`Ready`], its new account in `target`) or writes the create's
/// result to `full` and returns [`Frameless::Full`] (depth limit, insufficient balance,
/// nonce overflow, address collision). Mirrors `EthFrame::make_create_frame`.
pub(crate) fn make_create_frame<CTX, ERROR>(
    context: &mut CTX,
    depth: usize,
    inputs: Box<CreateInputs>,
    recycler: &mut impl InputsRecycler,
    full: &mut Option<FrameResult>,
    target: &mut CreateTarget,
) -> Result<ItemOrResult<Ready, Frameless>, ERROR>
where
    CTX: ContextTr,
    ERROR: From<FrameError<CTX>> + FromStringError,
{
    let reservoir_remaining_gas = inputs.reservoir();
    let spec = context.cfg().spec().into();
    let charged_create_state_gas = inputs.charged_create_state_gas();
    let gas_limit = inputs.gas_limit();
    let mut return_error = |e, inputs: Box<CreateInputs>| {
        recycler.recycle_create(inputs);
        *full = Some(FrameResult::Create(CreateOutcome {
            result: InterpreterResult {
                result: e,
                gas: Gas::new_with_regular_gas_and_reservoir(gas_limit, reservoir_remaining_gas),
                output: Bytes::new(),
            },
            address: None,
            charged_create_state_gas,
        }));
        Ok(ItemOrResult::Result(Frameless::Full))
    };

    if depth > CALL_STACK_LIMIT as usize {
        return return_error(InstructionResult::CallTooDeep, inputs);
    }

    let journal = context.journal_mut();
    let mut caller_info = journal.load_account_mut(inputs.caller())?;
    if *caller_info.balance() < inputs.value() {
        drop(caller_info);
        return return_error(InstructionResult::OutOfFunds, inputs);
    }
    let old_nonce = caller_info.nonce();
    if !caller_info.bump_nonce() {
        drop(caller_info);
        return return_error(InstructionResult::Return, inputs);
    }
    let created_address = inputs.created_address(old_nonce);
    let init_code_hash =
        matches!(inputs.scheme(), CreateScheme::Create2 { .. }).then(|| inputs.init_code_hash());
    drop(caller_info);

    journal.load_account(created_address)?;

    let checkpoint = match context.journal_mut().create_account_checkpoint(
        inputs.caller(),
        created_address,
        inputs.value(),
        spec,
    ) {
        Ok(checkpoint) => checkpoint,
        Err(e) => return return_error(e.into(), inputs),
    };
    *target = CreateTarget {
        address: created_address,
        init_code_hash,
    };
    Ok(ItemOrResult::Item(Ready::Create { inputs, checkpoint }))
}

/// Writes a frame's interpreter inputs field by field into the slot the reused frame
/// already has, instead of building an `InputsImpl` and moving it through the frame
/// setup (two copies of 120 bytes and a drop per call). The pattern names every field
/// (no `..`), so a field added by a new revm version is a compile error here.
#[inline(always)]
fn set_inputs(slot: &mut InputsImpl, value: InputsImpl) {
    let InputsImpl {
        target_address,
        bytecode_address,
        caller_address,
        input,
        call_value,
        depth,
    } = slot;
    *target_address = value.target_address;
    *bytecode_address = value.bytecode_address;
    *caller_address = value.caller_address;
    match (&mut *input, value.input) {
        // Call data in the caller's memory, replacing the same kind: a range, no drop.
        (CallInput::SharedBuffer(slot), CallInput::SharedBuffer(range)) => *slot = range,
        (slot, new) => *slot = new,
    }
    *call_value = value.call_value;
    *depth = value.depth;
}
