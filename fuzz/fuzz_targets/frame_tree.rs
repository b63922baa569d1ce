//! `FramePoolManager` call trees driven by the fuzzer, checked against a model at every
//! step: the EVM rules (precompiles open nothing, depth limit 1024, static frames refuse
//! creates and value calls) give exactly the predicted `FrameError`; EIP-150 forwards
//! all but one 64th of the caller's gas and unused gas comes back; a frame's stack and
//! memory are byte-exact against a shadow and untouched by its children (new memory
//! reads as zero even in recycled buffers); a frame is never handed out twice; and at
//! the end every frame is back (statistics balance). Maintenance (auto-tune, cleanup,
//! pressure) runs between transactions on a fake clock.
#![no_main]

use std::collections::HashSet;
use std::time::Duration;

use arbitrary::Arbitrary;
use evm_pool::{
    CALL_DEPTH_LIMIT, FrameError, FrameKind, FramePoolConfig, FramePoolManager, FrameRequest, Gas,
    ManualClock, PooledFrame,
};
use libfuzzer_sys::fuzz_target;

type Frame = PooledFrame<[u8; 32]>;
type Manager = FramePoolManager<[u8; 32]>;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    /// Open a child of `kind` (index into `FrameKind::ALL`), with value or not, asking
    /// for `gas`, with `input` bytes of input.
    Call {
        kind: u8,
        value: bool,
        gas: u32,
        input: u8,
    },
    /// Release the current frame (back to its parent).
    Return,
    Push(u8),
    Pop,
    /// Grow memory to `words` 32-byte words (never shrinks, like the EVM).
    Expand(u8),
    /// Write `byte` at `offset` (clamped into the current memory).
    Store {
        offset: u16,
        byte: u8,
    },
    Spend(u16),
    /// Between transactions: advance the clock (seconds); maintenance runs at the next root.
    Advance(u8),
    Tune,
    Cleanup,
    Pressure,
}

#[derive(Arbitrary, Debug)]
struct Input {
    preset: u8,
    ops: Vec<Op>,
}

struct Model {
    live: HashSet<u64>,
    opened: u64,
}

fuzz_target!(|input: Input| {
    let mut config = match input.preset % 4 {
        0 => FramePoolConfig::high_performance(),
        1 => FramePoolConfig::balanced(),
        2 => FramePoolConfig::minimal(),
        _ => FramePoolConfig::disabled(),
    };
    config.cleanup_interval = Duration::from_secs(1);
    let clock = ManualClock::new();
    let manager = Manager::with_clock(config, clock.clone()).unwrap();
    let mut model = Model {
        live: HashSet::new(),
        opened: 0,
    };
    let mut ops = input.ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        match op {
            Op::Advance(secs) => clock.advance(Duration::from_secs(u64::from(secs))),
            Op::Tune => {
                manager.auto_tune();
            }
            Op::Cleanup => {
                manager.cleanup();
            }
            Op::Pressure => {
                let report = manager.check_memory_pressure();
                assert_eq!(report.bytes_after, manager.bytes_held());
                assert!(report.bytes_after <= report.bytes_before);
            }
            Op::Call { kind, gas, .. } => {
                let kind = FrameKind::ALL[usize::from(kind) % FrameKind::ALL.len()];
                let request = FrameRequest::new(kind).gas(u64::from(gas));
                let mut root = manager
                    .acquire_with(request, None)
                    .expect("a root frame always opens");
                opened(&mut model, &root);
                assert_eq!(root.depth(), 0);
                assert_eq!(root.gas, Gas::new(u64::from(gas)));
                run(&manager, &mut root, &mut ops, &mut model);
                let id = root.pool_id();
                drop(root);
                assert!(model.live.remove(&id));
            }
            _ => {}
        }
        let stats = manager.statistics().total;
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.acquires(), model.opened);
        assert_eq!(stats.returns + stats.detached, model.opened);
    }
});

fn opened(model: &mut Model, frame: &Frame) {
    assert!(model.live.insert(frame.pool_id()), "frame handed out twice");
    model.opened += 1;
    assert!(frame.stack().is_empty(), "a new frame's stack is empty");
    assert!(frame.memory().is_empty(), "a new frame's memory is empty");
}

fn expected_error(parent: &Frame, kind: FrameKind, value: bool) -> Option<FrameError> {
    if parent.kind() == FrameKind::Precompile {
        Some(FrameError::PrecompileHasNoChildren)
    } else if parent.depth() >= CALL_DEPTH_LIMIT {
        Some(FrameError::DepthLimit {
            limit: CALL_DEPTH_LIMIT,
        })
    } else if parent.is_static() && (kind.is_create() || (kind == FrameKind::Call && value)) {
        Some(FrameError::StaticViolation { kind })
    } else {
        None
    }
}

/// Runs ops in `frame` until a `Return` (or the end): its stack and memory are shadowed
/// and compared after every op.
fn run(
    manager: &Manager,
    frame: &mut Frame,
    ops: &mut std::iter::Peekable<std::vec::IntoIter<Op>>,
    model: &mut Model,
) {
    let mut stack: Vec<[u8; 32]> = Vec::new();
    let mut memory: Vec<u8> = Vec::new();
    while let Some(op) = ops.next() {
        match op {
            Op::Return => return,
            Op::Call {
                kind,
                value,
                gas,
                input,
            } => {
                let kind = FrameKind::ALL[usize::from(kind) % FrameKind::ALL.len()];
                let data = vec![input; usize::from(input)];
                let mut request = FrameRequest::new(kind).gas(u64::from(gas)).input(&data);
                if value {
                    request = request.value([1; 32]);
                }
                let expected = expected_error(frame, kind, value);
                let gas_before = frame.gas;
                let parent_static = frame.is_static();
                let parent_depth = frame.depth();
                // (id, gas left, refund, forwarded) of a child that ran, or the refusal.
                let outcome = match manager.acquire_with(request, Some(&mut *frame)) {
                    Ok(mut child) => {
                        assert_eq!(expected, None, "opened a frame the rules forbid");
                        opened(model, &child);
                        let forwarded =
                            u64::from(gas).min(Gas::all_but_one_64th(gas_before.remaining));
                        assert_eq!(child.gas, Gas::new(forwarded), "EIP-150 forwarding");
                        assert_eq!(child.depth(), parent_depth + 1);
                        assert_eq!(
                            child.is_static(),
                            parent_static || kind == FrameKind::StaticCall
                        );
                        assert_eq!(child.input, data);
                        run(manager, &mut child, ops, model);
                        let ran = (
                            child.pool_id(),
                            child.gas.remaining,
                            child.gas.refunded,
                            forwarded,
                        );
                        drop(child);
                        Ok(ran)
                    }
                    Err(error) => Err(error),
                }; // the request's borrow of `frame` ends here
                match outcome {
                    Ok((id, left, refunded, forwarded)) => {
                        assert!(model.live.remove(&id));
                        assert_eq!(frame.gas.remaining, gas_before.remaining - forwarded + left);
                        assert_eq!(frame.gas.refunded, gas_before.refunded + refunded);
                    }
                    Err(error) => {
                        assert_eq!(Some(error), expected, "refused for the wrong reason");
                        assert_eq!(frame.gas, gas_before, "a refused call costs no gas");
                    }
                }
            }
            Op::Push(byte) => {
                let pushed = frame.stack_mut().push([byte; 32]);
                if stack.len() < evm_pool::STACK_LIMIT {
                    pushed.unwrap();
                    stack.push([byte; 32]);
                } else {
                    assert!(pushed.is_err());
                }
            }
            Op::Pop => {
                let popped = frame.stack_mut().pop();
                assert_eq!(popped.ok(), stack.pop());
            }
            Op::Expand(words) => {
                let len = usize::from(words) * 32;
                if len > memory.len() {
                    frame.memory_mut().resize(len).unwrap();
                    memory.resize(len, 0);
                }
            }
            Op::Store { offset, byte } if !memory.is_empty() => {
                let at = usize::from(offset) % memory.len();
                frame.memory_mut().set(at, &[byte]).unwrap();
                memory[at] = byte;
            }
            Op::Spend(amount) => {
                let before = frame.gas.remaining;
                let ok = frame.gas.spend(u64::from(amount));
                assert_eq!(ok, before >= u64::from(amount));
            }
            _ => {}
        }
        assert_eq!(
            frame.stack().as_slice(),
            &stack[..],
            "stack differs from the model"
        );
        assert_eq!(
            frame.memory().as_slice(),
            &memory[..],
            "memory differs from the model"
        );
    }
}
