//! Frame kinds (what opened a frame) and the pool classes they map to.

use std::fmt;

/// What opened a call frame. Decides the frame's pool class and which EVM nesting rules
/// apply to it.
///
/// ```
/// use evm_pool_runtime::{FrameClass, FrameKind};
///
/// assert_eq!(FrameKind::CallCode.class(), FrameClass::Call); // shares `Call`'s class
/// assert!(FrameKind::Create2.is_create());
/// assert!(!FrameKind::StaticCall.changes_state_without_value());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameKind {
    /// A frame opened by the embedder itself (a transaction's outermost call to code).
    Regular,
    /// `CALL`.
    Call,
    /// `CALLCODE`: pooled with [`FrameKind::Call`].
    CallCode,
    /// `DELEGATECALL`.
    DelegateCall,
    /// `STATICCALL`: the frame and all its descendants are static.
    StaticCall,
    /// `CREATE`.
    Create,
    /// `CREATE2`.
    Create2,
    /// A precompiled contract: it runs native code and opens no child frames.
    Precompile,
    /// A system call (beacon roots, block hashes and the like, made by the client).
    System,
}

impl FrameKind {
    /// Every kind, in declaration order.
    pub const ALL: [FrameKind; 9] = [
        FrameKind::Regular,
        FrameKind::Call,
        FrameKind::CallCode,
        FrameKind::DelegateCall,
        FrameKind::StaticCall,
        FrameKind::Create,
        FrameKind::Create2,
        FrameKind::Precompile,
        FrameKind::System,
    ];

    /// The pool class frames of this kind come from.
    #[inline]
    pub const fn class(self) -> FrameClass {
        match self {
            FrameKind::Regular => FrameClass::Regular,
            FrameKind::Call | FrameKind::CallCode => FrameClass::Call,
            FrameKind::DelegateCall => FrameClass::DelegateCall,
            FrameKind::StaticCall => FrameClass::StaticCall,
            FrameKind::Create => FrameClass::Create,
            FrameKind::Create2 => FrameClass::Create2,
            FrameKind::Precompile => FrameClass::Precompile,
            FrameKind::System => FrameClass::System,
        }
    }

    /// `CREATE` or `CREATE2`: forbidden inside a static frame.
    #[inline]
    pub const fn is_create(self) -> bool {
        matches!(self, FrameKind::Create | FrameKind::Create2)
    }

    /// `true` for kinds a static frame may never open, whatever value they carry
    /// (`CREATE`, `CREATE2`). A value-carrying `CALL` is also forbidden there; that
    /// depends on the value, see [`FrameRequest`](crate::FrameRequest).
    #[inline]
    pub const fn changes_state_without_value(self) -> bool {
        self.is_create()
    }

    /// Index in [`FrameKind::ALL`], for per-kind counters.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The opcode-style name (`CALL`, `CREATE2`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            FrameKind::Regular => "REGULAR",
            FrameKind::Call => "CALL",
            FrameKind::CallCode => "CALLCODE",
            FrameKind::DelegateCall => "DELEGATECALL",
            FrameKind::StaticCall => "STATICCALL",
            FrameKind::Create => "CREATE",
            FrameKind::Create2 => "CREATE2",
            FrameKind::Precompile => "PRECOMPILE",
            FrameKind::System => "SYSTEM",
        }
    }
}

impl fmt::Display for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pool class: the spec's eight, in its order. [`FrameKind::CallCode`] shares
/// [`FrameClass::Call`].
///
/// ```
/// use evm_pool_runtime::FrameClass;
///
/// assert_eq!(FrameClass::ALL.len(), 8);
/// assert_eq!(FrameClass::StaticCall.index(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameClass {
    /// [`FrameKind::Regular`].
    Regular,
    /// [`FrameKind::Call`] and [`FrameKind::CallCode`].
    Call,
    /// [`FrameKind::DelegateCall`].
    DelegateCall,
    /// [`FrameKind::StaticCall`].
    StaticCall,
    /// [`FrameKind::Create`].
    Create,
    /// [`FrameKind::Create2`].
    Create2,
    /// [`FrameKind::Precompile`].
    Precompile,
    /// [`FrameKind::System`].
    System,
}

impl FrameClass {
    /// Every class, in the spec's order (the order of preset numbers).
    pub const ALL: [FrameClass; 8] = [
        FrameClass::Regular,
        FrameClass::Call,
        FrameClass::DelegateCall,
        FrameClass::StaticCall,
        FrameClass::Create,
        FrameClass::Create2,
        FrameClass::Precompile,
        FrameClass::System,
    ];

    /// Position in [`FrameClass::ALL`].
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// A short name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            FrameClass::Regular => "Regular",
            FrameClass::Call => "Call",
            FrameClass::DelegateCall => "DelegateCall",
            FrameClass::StaticCall => "StaticCall",
            FrameClass::Create => "Create",
            FrameClass::Create2 => "Create2",
            FrameClass::Precompile => "Precompile",
            FrameClass::System => "System",
        }
    }
}

impl fmt::Display for FrameClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
