//! The layout plan: a pure function from field sizes and alignments (known or assumed)
//! to memory order and offsets. No tokens here, so it is tested directly, including
//! against brute force over every permutation.
//!
//! Rule: hot fields first, then the others; each group in descending alignment, stable
//! among equal alignments (declared order). With power-of-two alignments each field's
//! size is a multiple of its alignment, which is a multiple of every later alignment, so
//! no padding appears between fields: the size is `round_up(sum of sizes, max align)`,
//! the minimum over all orders. Hot fields can cost padding where the groups meet; the
//! report says how much.

use evm_pool_runtime::layout::round_up;

/// One field as the planner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// `None` when the macro does not know the size (a type parameter, an unknown type
    /// without `#[layout(size = N)]`): offsets after it are unknown too.
    pub size: Option<usize>,
    /// Known, hinted or assumed (pointer alignment); a power of two.
    pub align: usize,
    pub hot: bool,
}

/// Where every field goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Declared indices in memory order.
    pub order: Vec<usize>,
    /// Offsets in memory order (parallel to `order`).
    pub offsets: Vec<Option<usize>>,
    /// Size of the struct, if every field size is known.
    pub size: Option<usize>,
    /// Alignment of the struct: the largest field alignment and `min_align`.
    pub align: usize,
}

/// Plans the layout. `min_align` comes from `repr(align(N))` (1 without it);
/// `keep_order` keeps the declared order.
pub fn plan(fields: &[FieldSpec], min_align: usize, keep_order: bool) -> Plan {
    let mut order: Vec<usize> = (0..fields.len()).collect();
    if !keep_order {
        // Stable: equal keys keep their declared order.
        order.sort_by_key(|&index| {
            let field = &fields[index];
            (!field.hot, std::cmp::Reverse(field.align))
        });
        fill_after_hot(fields, &mut order);
    }
    let (offsets, size, align) = repr_c(order.iter().map(|&index| fields[index]), min_align);
    Plan {
        order,
        offsets,
        size,
        align,
    }
}

/// Hot fields end at some offset; the first cold field may need a higher alignment, which
/// would leave a gap. Fill that gap with the cold fields that fit it exactly aligned
/// (largest alignment first); the remaining cold fields stay in descending alignment, so
/// the only padding left is what remains of that one gap.
fn fill_after_hot(fields: &[FieldSpec], order: &mut Vec<usize>) {
    let hot_count = order.iter().filter(|&&index| fields[index].hot).count();
    if hot_count == 0 || hot_count == order.len() {
        return;
    }
    let (hot_offsets, _, _) = repr_c(order[..hot_count].iter().map(|&i| fields[i]), 1);
    let last_hot = &fields[order[hot_count - 1]];
    let (Some(Some(offset)), Some(size)) = (hot_offsets.last().copied(), last_hot.size) else {
        return; // a hot field of unknown size: the gap is unknown too
    };
    let mut cursor = offset + size;
    let mut cold: Vec<usize> = order.split_off(hot_count);
    let target = round_up(cursor, fields[cold[0]].align);
    while cursor < target {
        let fits = cold.iter().position(|&index| {
            let field = &fields[index];
            field.size.is_some_and(|size| {
                size > 0 && cursor % field.align == 0 && cursor + size <= target
            })
        });
        let Some(position) = fits else { break };
        let index = cold.remove(position);
        cursor += fields[index].size.unwrap_or(0);
        order.push(index);
    }
    order.extend(cold);
}

/// `repr(C)` layout of fields in the given order.
fn repr_c(
    fields: impl Iterator<Item = FieldSpec>,
    min_align: usize,
) -> (Vec<Option<usize>>, Option<usize>, usize) {
    let mut offsets = Vec::new();
    let mut cursor = Some(0usize);
    let mut align = min_align.max(1);
    for field in fields {
        let offset = cursor.map(|at| round_up(at, field.align));
        offsets.push(offset);
        cursor = offset.zip(field.size).map(|(offset, size)| offset + size);
        align = align.max(field.align);
    }
    (offsets, cursor.map(|end| round_up(end, align)), align)
}

/// Size of the fields in declared order under `repr(C)`, if every size is known.
#[cfg(test)]
fn declared_size(fields: &[FieldSpec], min_align: usize) -> Option<usize> {
    repr_c(fields.iter().copied(), min_align).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(size: usize, align: usize) -> FieldSpec {
        FieldSpec {
            size: Some(size),
            align,
            hot: false,
        }
    }

    #[test]
    fn frame_from_the_issue() {
        // is_static: bool, gas_limit: u64, depth: u16, value: [u64; 4], memory: Vec<u8>, kind: u8
        let fields = [
            spec(1, 1),
            spec(8, 8),
            spec(2, 2),
            spec(32, 8),
            spec(24, 8),
            spec(1, 1),
        ];
        let plan = plan(&fields, 1, false);
        assert_eq!(plan.order, [1, 3, 4, 2, 0, 5]);
        assert_eq!(
            plan.offsets,
            [Some(0), Some(8), Some(40), Some(64), Some(66), Some(67)]
        );
        assert_eq!((plan.size, plan.align), (Some(72), 8));
        assert_eq!(declared_size(&fields, 1), Some(88));
    }

    #[test]
    fn keep_order_is_repr_c() {
        let fields = [spec(1, 1), spec(8, 8), spec(2, 2)];
        let plan = plan(&fields, 1, true);
        assert_eq!(plan.order, [0, 1, 2]);
        assert_eq!(plan.offsets, [Some(0), Some(8), Some(16)]);
        assert_eq!(plan.size, Some(24));
    }

    #[test]
    fn repr_align_raises_the_alignment() {
        let plan = plan(&[spec(8, 8), spec(1, 1)], 64, false);
        assert_eq!((plan.size, plan.align), (Some(64), 64));
    }

    #[test]
    fn hot_fields_come_first_and_may_cost_padding() {
        let mut flag = spec(1, 1);
        flag.hot = true;
        let fields = [spec(8, 8), spec(4, 4), flag];
        let plan = plan(&fields, 1, false);
        assert_eq!(plan.order, [2, 0, 1]);
        assert_eq!(plan.offsets, [Some(0), Some(8), Some(16)]);
        assert_eq!(plan.size, Some(24)); // 8 more than the minimum of 16
    }

    #[test]
    fn cold_fields_fill_the_gap_after_hot_ones() {
        let mut pc = spec(4, 4);
        pc.hot = true;
        // pc: u32 (hot), depth: u16, journal: 32/8, aligned: 16/16, warm: bool
        let fields = [spec(2, 2), spec(32, 8), spec(16, 16), pc, spec(1, 1)];
        let plan = plan(&fields, 1, false);
        // pc, then depth and warm in the gap before the 16-aligned field.
        assert_eq!(plan.order, [3, 0, 4, 2, 1]);
        assert_eq!(
            plan.offsets,
            [Some(0), Some(4), Some(6), Some(16), Some(32)]
        );
        assert_eq!(plan.size, Some(64)); // the minimum: 55 bytes round up to 64
    }

    #[test]
    fn unknown_sizes_make_later_offsets_unknown() {
        let unknown = FieldSpec {
            size: None,
            align: 8,
            hot: false,
        };
        let plan = plan(&[spec(1, 1), unknown, spec(8, 8)], 1, false);
        assert_eq!(plan.order, [1, 2, 0]);
        assert_eq!(plan.offsets, [Some(0), None, None]);
        assert_eq!((plan.size, plan.align), (None, 8));
    }

    #[test]
    fn empty_struct() {
        let plan = plan(&[], 1, false);
        assert_eq!((plan.size, plan.align), (Some(0), 1));
    }

    /// Every permutation of `items` (Heap's algorithm).
    fn permutations(items: &mut Vec<FieldSpec>, k: usize, out: &mut dyn FnMut(&[FieldSpec])) {
        if k <= 1 {
            out(items);
            return;
        }
        for i in 0..k {
            permutations(items, k - 1, out);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            items.swap(j, k - 1);
        }
    }

    fn field() -> impl Strategy<Value = FieldSpec> {
        // size = align * count, like every Rust type; zero-sized fields included.
        (0u32..=5, 0usize..=5).prop_map(|(shift, count)| spec((1 << shift) * count, 1 << shift))
    }

    fn hot_field() -> impl Strategy<Value = FieldSpec> {
        (field(), proptest::bool::ANY).prop_map(|(mut field, hot)| {
            field.hot = hot;
            field
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn planned_size_is_the_minimum_over_all_orders(
            fields in proptest::collection::vec(field(), 0..=8),
            min_align_shift in 0u32..=6,
        ) {
            let min_align = 1usize << min_align_shift;
            let planned = plan(&fields, min_align, false);
            let mut best = usize::MAX;
            let mut items = fields.clone();
            let len = items.len();
            permutations(&mut items, len, &mut |order| {
                best = best.min(declared_size(order, min_align).unwrap());
            });
            prop_assert_eq!(planned.size, Some(best));
            // No interior padding: each field starts where the previous one ends.
            let mut end = 0;
            for (&index, offset) in planned.order.iter().zip(&planned.offsets) {
                prop_assert_eq!(*offset, Some(end));
                end += fields[index].size.unwrap();
            }
            // Stable: equal alignments keep their declared order.
            // (Checked below only for structs without hot fields.)
            for pair in planned.order.windows(2) {
                let (a, b) = (&fields[pair[0]], &fields[pair[1]]);
                prop_assert!(a.align > b.align || (a.align == b.align && pair[0] < pair[1]));
            }
        }

        #[test]
        fn hot_fields_first_and_never_worse_than_grouping_alone(
            fields in proptest::collection::vec(hot_field(), 0..=8),
        ) {
            let planned = plan(&fields, 1, false);
            let hot = fields.iter().filter(|field| field.hot).count();
            prop_assert!(planned.order[..hot].iter().all(|&index| fields[index].hot));
            // Naive: hot group then cold group, each in descending alignment.
            let mut naive: Vec<FieldSpec> = fields.clone();
            naive.sort_by_key(|field| (!field.hot, std::cmp::Reverse(field.align)));
            let naive_size = declared_size(&naive, 1).unwrap();
            let best = plan(&fields.iter().map(|f| FieldSpec { hot: false, ..*f }).collect::<Vec<_>>(), 1, false);
            prop_assert!(planned.size.unwrap() <= naive_size);
            prop_assert!(planned.size >= best.size);
            // Offsets are increasing and aligned.
            for (&index, offset) in planned.order.iter().zip(&planned.offsets) {
                prop_assert_eq!(offset.unwrap() % fields[index].align, 0);
            }
        }
    }
}
