use super::*;

fn frame_like() -> LayoutReport {
    // bool, u64, u16, [u64; 4], Vec<u8>, u8 reordered by descending alignment.
    LayoutReport::reordered(
        "Frame",
        72,
        8,
        vec![
            FieldLayout::new("gas_limit", "u64", 0, 8, 8).declared_at(1),
            FieldLayout::new("value", "[u64; 4]", 8, 32, 8).declared_at(3),
            FieldLayout::new("memory", "Vec<u8>", 40, 24, 8).declared_at(4),
            FieldLayout::new("depth", "u16", 64, 2, 2).declared_at(2),
            FieldLayout::new("is_static", "bool", 66, 1, 1).declared_at(0),
            FieldLayout::new("kind", "u8", 67, 1, 1).declared_at(5),
        ],
    )
}

#[test]
fn arithmetic_of_a_reordered_struct() {
    let report = frame_like();
    assert_eq!(report.field_bytes(), 68);
    assert_eq!(report.padding_bytes(), 4);
    assert_eq!(report.interior_padding_bytes(), 0);
    assert_eq!(report.holes(), vec![Hole { offset: 68, len: 4 }]);
    // declared: bool@0, u64@8, u16@16, [u64;4]@24, Vec@56, u8@80 -> 81 -> 88
    assert_eq!(report.declared_size(), 88);
    assert_eq!(report.saved_bytes(), 16);
    assert_eq!(report.optimal_size(), 72);
    assert_eq!(report.cache_lines(64), 2);
    assert_eq!(report.cache_lines(128), 1);
    assert_eq!(report.cache_lines(0), 72);
}

#[test]
fn fields_are_sorted_into_memory_order() {
    let report = LayoutReport::observed(
        "T",
        16,
        8,
        vec![
            FieldLayout::new("b", "u8", 8, 1, 1).declared_at(1),
            FieldLayout::new("z", "()", 0, 0, 1).declared_at(2),
            FieldLayout::new("a", "u64", 0, 8, 8).declared_at(0),
        ],
    );
    let names: Vec<&str> = report.fields().iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["z", "a", "b"]);
    assert_eq!(report.holes(), vec![Hole { offset: 9, len: 7 }]);
    assert_eq!(report.interior_padding_bytes(), 0);
}

#[test]
fn interior_holes_are_found() {
    let report = LayoutReport::declared(
        "Log",
        24,
        8,
        vec![
            FieldLayout::new("removed", "bool", 0, 1, 1),
            FieldLayout::new("index", "u64", 8, 8, 8).declared_at(1),
            FieldLayout::new("topics", "u8", 16, 1, 1).declared_at(2),
        ],
    );
    assert_eq!(
        report.holes(),
        vec![Hole { offset: 1, len: 7 }, Hole { offset: 17, len: 7 }]
    );
    assert_eq!(report.interior_padding_bytes(), 7);
    assert_eq!(report.padding_bytes(), 14);
    assert_eq!(report.optimal_size(), 16);
    assert_eq!(report.saved_bytes(), 0);
}

#[test]
fn display_prints_the_table() {
    let text = frame_like().to_string();
    let expected = "\
layout of `Frame` (optimized, repr(C)): 72 bytes, align 8, 2 cache lines of 64 bytes
  offset  size  align  line  field
       0     8      8     0  gas_limit: u64
       8    32      8     0  value: [u64; 4]
      40    24      8     0  memory: Vec<u8>
      64     2      2     1  depth: u16
      66     1      1     1  is_static: bool
      67     1      1     1  kind: u8
      68     4                (padding)
  declared order would be 88 bytes (20 bytes of padding); optimized: 4 bytes of padding, saves 16 bytes";
    assert_eq!(text, expected);
}

#[test]
fn display_of_kept_order_and_hot_cost() {
    let kept = LayoutReport::declared(
        "Pair",
        16,
        8,
        vec![
            FieldLayout::new("flag", "bool", 0, 1, 1),
            FieldLayout::new("word", "u64", 8, 8, 8).declared_at(1),
        ],
    );
    let text = kept.to_string();
    assert!(
        text.contains("       1     7                (padding)"),
        "{text}"
    );
    assert!(text.ends_with(
        "declared order kept: 7 bytes of padding; descending alignment would be 16 bytes, saving 0 bytes"
    ));

    let hot = LayoutReport::reordered(
        "Hot",
        24,
        8,
        vec![
            FieldLayout::new("flag", "bool", 0, 1, 1).hot(),
            FieldLayout::new("word", "u64", 8, 8, 8).declared_at(1),
            FieldLayout::new("tag", "u32", 16, 4, 4).declared_at(2),
        ],
    );
    let text = hot.to_string();
    assert!(text.contains("flag: bool  [hot]"), "{text}");
    assert!(text.ends_with("hot fields first cost 8 bytes over the minimum of 16 bytes"));
}

#[test]
fn sketch_with_unknown_sizes() {
    let sketch = Sketch {
        name: "Frame",
        arrangement: Arrangement::Reordered,
        size: None,
        align: 8,
        rows: vec![
            SketchRow {
                name: "gas",
                ty: "Gas",
                offset: Some(0),
                size: None,
                align: 8,
                declared_index: 0,
                hot: false,
            },
            SketchRow {
                name: "depth",
                ty: "u16",
                offset: None,
                size: Some(2),
                align: 2,
                declared_index: 1,
                hot: false,
            },
        ],
    };
    let text = sketch.to_string();
    assert!(text.starts_with("layout of `Frame` (optimized, repr(C)): ? bytes, align 8\n"));
    assert!(
        text.contains("       0     ?      8     0  gas: Gas"),
        "{text}"
    );
    assert!(
        text.contains("       ?     2      2     ?  depth: u16"),
        "{text}"
    );
    assert!(
        text.contains("sizes unknown to the macro: `gas: Gas`"),
        "{text}"
    );
}

#[test]
fn const_helpers() {
    assert_eq!(round_up(0, 8), 0);
    assert_eq!(round_up(9, 0), 9);
    assert_eq!(repr_c_size(&[], 1), 0);
    assert_eq!(repr_c_size(&[], 16), 0);
    assert_eq!(repr_c_size(&[(1, 1), (16, 16)], 1), 32);
    assert_eq!(optimal_size(&[(1, 1), (16, 16)], 1), 32);
    assert_eq!(optimal_size(&[(1, 1), (4, 4)], 64), 64);
}

#[test]
fn layout_of_measures_a_foreign_struct() {
    #[allow(dead_code)]
    struct Journal {
        account: [u8; 20],
        value: u128,
        warm: bool,
    }
    let report = crate::layout_of!(Journal {
        account,
        value,
        warm
    });
    assert_eq!(report.size(), size_of::<Journal>());
    assert_eq!(report.align(), align_of::<Journal>());
    assert_eq!(report.arrangement(), Arrangement::Observed);
    let value = report.field("value").unwrap();
    assert_eq!(value.offset, core::mem::offset_of!(Journal, value));
    assert_eq!((value.size, value.align, &*value.ty), (16, 16, "u128"));
    // repr(C) in declared order: 20 -> pad to 32, +16 = 48, +1 = 49 -> 64.
    assert_eq!(report.declared_size(), 64);
    assert_eq!(report.optimal_size(), 48);
    assert_eq!(report.padding_bytes(), size_of::<Journal>() - 37);
}

#[test]
fn registry_is_empty_without_annotated_structs() {
    assert!(all().is_empty());
}
