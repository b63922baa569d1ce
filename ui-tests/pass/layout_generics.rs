//! Generics, lifetimes and where-clauses survive; assertions that depend on a type
//! parameter are checked for the instantiations that are used.
use evm_pool::{Layout, optimize_layout};

#[optimize_layout]
struct CallInput<'a, T>
where
    T: Copy,
{
    is_static: bool,
    input: &'a [u8],
    #[layout(align = 8, size = 8)]
    extra: T,
    depth: u16,
}

#[optimize_layout]
struct Borrowed<'a> {
    flag: bool,
    code: &'a [u8],
}

// Check this instantiation at compile time.
const _: () = <CallInput<'static, u64> as Layout>::LAYOUT_ASSERTIONS;

fn main() {
    let bytes = [1u8, 2, 3];
    let input = CallInput { is_static: true, input: &bytes, extra: 7u64, depth: 3 };
    assert_eq!(input.input.len() + input.extra as usize + input.depth as usize, 13);
    assert!(input.is_static);
    let report = CallInput::<u64>::layout_report();
    assert_eq!(report.name(), "CallInput<'a, T>");
    assert_eq!(report.size(), 32);
    let borrowed = Borrowed { flag: false, code: &bytes };
    assert!(!borrowed.flag && borrowed.code.len() == 3);
    assert_eq!(Borrowed::layout_report().size(), 24);
    // Non-generic and lifetime-only structs are registered.
    let names: Vec<String> = evm_pool::layout::all().iter().map(|r| r.name().to_owned()).collect();
    assert_eq!(names, ["Borrowed<'a>"]);
}
