//! Type, const and lifetime parameters, `where` clauses and defaults. The pool type has
//! the struct's parameters; the impls hold exactly when every reset field is `Reset`.
use evm_pool::{EvmPooled, Pooled};

#[derive(Pooled, Default)]
struct Stack<T: Copy = u64> {
    items: Vec<T>,
}

#[derive(Pooled)]
#[pool(init = "Self::empty")]
struct Window<'a, T, const N: usize>
where
    T: Copy + Default,
{
    buffer: [T; N],
    #[pool(skip)]
    source: &'a [u8],
}

impl<T: Copy + Default, const N: usize> Window<'_, T, N> {
    fn empty() -> Self {
        Window { buffer: [T::default(); N], source: &[] }
    }
}

fn uses_any_pooled<T: EvmPooled>() {}

fn main() {
    let stacks: StackPool = StackPool::new(); // default parameter: u64
    stacks.acquire().items.push(1);
    let _bytes = StackPool::<u8>::new();

    let source = vec![1u8, 2, 3];
    let windows = WindowPool::<u32, 8>::new();
    {
        let mut window = windows.acquire();
        window.buffer[0] = 5;
        window.source = &source;
    }
    let window = windows.acquire();
    assert_eq!(window.buffer, [0; 8]);
    assert_eq!(window.source, &[1, 2, 3]);
    uses_any_pooled::<Window<'static, u8, 2>>();
}
