//! A tiny EVM assembler: bytecode from opcodes, minimal pushes and labels.
//!
//! The workloads and the differential program generator build their contracts from
//! opcodes rather than from compiled Solidity, so every byte of a test program is
//! visible in the source that produced it.

use revm::bytecode::opcode;
use revm::primitives::{Address, Bytes, U256};

/// A jump target created by [`Asm::new_label`] and placed by [`Asm::jumpdest`].
///
/// ```
/// use evm_pool_revm::asm::Asm;
/// use revm::bytecode::opcode::*;
///
/// let mut asm = Asm::new();
/// let skip = asm.new_label();
/// asm.jump(skip).op(INVALID).jumpdest(skip).op(STOP);
/// assert_eq!(&asm.build()?[..], [PUSH2, 0, 5, JUMP, INVALID, JUMPDEST, STOP]);
/// # Ok::<(), evm_pool_revm::asm::AsmError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// Why [`Asm::build`] could not produce bytecode.
///
/// ```
/// use evm_pool_revm::asm::Asm;
/// use revm::bytecode::opcode::*;
///
/// use evm_pool_revm::asm::AsmError;
///
/// let mut asm = Asm::new();
/// let nowhere = asm.new_label();
/// asm.jump(nowhere);
/// assert!(matches!(asm.build(), Err(AsmError::UnplacedLabel(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmError {
    /// A label was jumped to but never placed with [`Asm::jumpdest`].
    UnplacedLabel(Label),
    /// A label was placed past offset `0xffff`, which a `PUSH2` cannot address.
    CodeTooLong {
        /// Offset of the label.
        offset: usize,
    },
}

impl core::fmt::Display for AsmError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::UnplacedLabel(label) => write!(f, "label {} is used but never placed", label.0),
            Self::CodeTooLong { offset } => {
                write!(f, "label at offset {offset} does not fit a PUSH2")
            }
        }
    }
}

impl std::error::Error for AsmError {}

/// Builds EVM bytecode.
///
/// ```
/// use evm_pool_revm::asm::Asm;
/// use revm::bytecode::opcode::*;
///
/// // Loop three times, then stop.
/// let mut asm = Asm::new();
/// let top = asm.new_label();
/// let end = asm.new_label();
/// asm.push(3);
/// asm.jumpdest(top);
/// asm.op(DUP1).op(ISZERO).jumpi(end);
/// asm.push(1).op(SWAP1).op(SUB).jump(top);
/// asm.jumpdest(end);
/// asm.op(STOP);
/// let code = asm.build()?;
/// assert_eq!(code[0], PUSH1);
/// # Ok::<(), evm_pool_revm::asm::AsmError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Asm {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    /// An empty program.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// assert!(Asm::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one opcode.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let code = Asm::new().op(CALLER).op(BALANCE).build()?;
    /// assert_eq!(&code[..], [CALLER, BALANCE]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn op(&mut self, op: u8) -> &mut Self {
        self.code.push(op);
        self
    }

    /// Appends opcodes.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let code = Asm::new().ops(&[PUSH0, DUP1, RETURN]).build()?;
    /// assert_eq!(&code[..], [PUSH0, DUP1, RETURN]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn ops(&mut self, ops: &[u8]) -> &mut Self {
        self.code.extend_from_slice(ops);
        self
    }

    /// Pushes a small number with the shortest push (`PUSH0` for zero).
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let code = Asm::new().push(0).push(0x1234).build()?;
    /// assert_eq!(&code[..], [PUSH0, PUSH2, 0x12, 0x34]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn push(&mut self, value: u64) -> &mut Self {
        self.push_word(U256::from(value))
    }

    /// Pushes a 256-bit word with the shortest push (`PUSH0` for zero).
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// use revm::primitives::U256;
    ///
    /// let code = Asm::new().push_word(U256::MAX).build()?;
    /// assert_eq!((code[0], code.len()), (PUSH32, 33));
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn push_word(&mut self, value: U256) -> &mut Self {
        if value.is_zero() {
            return self.op(opcode::PUSH0);
        }
        let bytes = value.to_be_bytes::<32>();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        self.push_bytes(&bytes[skip..])
    }

    /// Pushes an address (`PUSH20`).
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// use revm::primitives::Address;
    ///
    /// let code = Asm::new().push_address(Address::repeat_byte(0xaa)).build()?;
    /// assert_eq!((code[0], code[1], code.len()), (PUSH20, 0xaa, 21));
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn push_address(&mut self, address: Address) -> &mut Self {
        self.push_bytes(address.as_slice())
    }

    /// Pushes 1 to 32 raw bytes with `PUSH<len>`; an empty slice pushes zero.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let code = Asm::new().push_bytes(&[0, 1]).push_bytes(&[]).build()?;
    /// assert_eq!(&code[..], [PUSH2, 0, 1, PUSH0]); // leading zeros kept
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn push_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        match bytes.len() {
            0 => self.op(opcode::PUSH0),
            len @ 1..=32 => {
                // `len` is at most 32, so the cast cannot truncate.
                self.code.push(opcode::PUSH0 + len as u8);
                self.code.extend_from_slice(bytes);
                self
            }
            _ => self.push_word(U256::from_be_slice(&bytes[bytes.len() - 32..])),
        }
    }

    /// A new, not yet placed label.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// let (a, b) = (asm.new_label(), asm.new_label());
    /// assert_ne!(a, b);
    /// ```
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Places `label` here and emits `JUMPDEST`.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// let here = asm.new_label();
    /// asm.op(STOP).jumpdest(here);
    /// assert_eq!(&asm.build()?[..], [STOP, JUMPDEST]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn jumpdest(&mut self, label: Label) -> &mut Self {
        self.labels[label.0] = Some(self.code.len());
        self.op(opcode::JUMPDEST)
    }

    /// Pushes the offset of `label` (`PUSH2`, patched by [`build`](Self::build)).
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// let target = asm.new_label();
    /// asm.push_label(target).op(POP).jumpdest(target);
    /// assert_eq!(&asm.build()?[..], [PUSH2, 0, 4, POP, JUMPDEST]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn push_label(&mut self, label: Label) -> &mut Self {
        self.code.push(opcode::PUSH2);
        self.fixups.push((self.code.len(), label));
        self.code.extend_from_slice(&[0, 0]);
        self
    }

    /// `JUMP` to `label`.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// let target = asm.new_label();
    /// asm.jump(target).jumpdest(target);
    /// assert_eq!(&asm.build()?[..], [PUSH2, 0, 4, JUMP, JUMPDEST]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn jump(&mut self, label: Label) -> &mut Self {
        self.push_label(label).op(opcode::JUMP)
    }

    /// `JUMPI` to `label` when the top of the stack is non-zero.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// let target = asm.new_label();
    /// asm.push(1).jumpi(target).jumpdest(target);
    /// assert_eq!(&asm.build()?[..], [PUSH1, 1, PUSH2, 0, 6, JUMPI, JUMPDEST]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn jumpi(&mut self, label: Label) -> &mut Self {
        self.push_label(label).op(opcode::JUMPI)
    }

    /// Emits code that stores `bytes` in memory at `offset` (32-byte `MSTORE`s; the last
    /// word is zero-padded).
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// // One 32-byte word: PUSH32 <word>, PUSH0 (offset 0), MSTORE.
    /// let code = Asm::new().store_bytes(0, &[0xff; 32]).build()?;
    /// assert_eq!((code[0], code[33], code[34]), (PUSH32, PUSH0, MSTORE));
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn store_bytes(&mut self, offset: usize, bytes: &[u8]) -> &mut Self {
        for (i, chunk) in bytes.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            self.push_word(U256::from_be_bytes(word))
                .push_word(U256::from(offset + 32 * i))
                .op(opcode::MSTORE);
        }
        self
    }

    /// Current length of the code in bytes.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// asm.push(1).op(POP);
    /// assert_eq!(asm.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether no byte was emitted yet.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let mut asm = Asm::new();
    /// assert!(asm.is_empty());
    /// asm.op(STOP);
    /// assert!(!asm.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Resolves labels and returns the bytecode.
    ///
    /// ```
    /// use evm_pool_revm::asm::Asm;
    /// use revm::bytecode::opcode::*;
    ///
    /// let code = Asm::new().push(1).push(2).op(ADD).build()?;
    /// assert_eq!(&code[..], [PUSH1, 1, PUSH1, 2, ADD]);
    /// # Ok::<(), evm_pool_revm::asm::AsmError>(())
    /// ```
    pub fn build(&self) -> Result<Bytes, AsmError> {
        let mut code = self.code.clone();
        for &(at, label) in &self.fixups {
            let offset = self.labels[label.0].ok_or(AsmError::UnplacedLabel(label))?;
            let offset16 = u16::try_from(offset).map_err(|_| AsmError::CodeTooLong { offset })?;
            code[at..at + 2].copy_from_slice(&offset16.to_be_bytes());
        }
        Ok(code.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::bytecode::opcode::*;

    #[test]
    fn shortest_pushes() {
        let mut asm = Asm::new();
        asm.push(0).push(0xff).push(0x100);
        assert_eq!(
            asm.build().unwrap().as_ref(),
            &[PUSH0, PUSH1, 0xff, PUSH2, 0x01, 0x00]
        );
    }

    #[test]
    fn labels_resolve_and_unplaced_labels_are_errors() {
        let mut asm = Asm::new();
        let l = asm.new_label();
        asm.jump(l).jumpdest(l);
        assert_eq!(
            asm.build().unwrap().as_ref(),
            &[PUSH2, 0, 4, JUMP, JUMPDEST]
        );
        let mut bad = Asm::new();
        let l = bad.new_label();
        bad.jump(l);
        assert_eq!(bad.build(), Err(AsmError::UnplacedLabel(l)));
    }

    #[test]
    fn store_bytes_pads_the_last_word() {
        let mut asm = Asm::new();
        asm.store_bytes(0, &[0xaa]);
        let code = asm.build().unwrap();
        assert_eq!(code[0], PUSH32);
        assert_eq!(code[1], 0xaa);
        assert!(code[2..33].iter().all(|b| *b == 0));
    }
}
