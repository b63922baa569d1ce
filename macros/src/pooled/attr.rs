//! The `#[pool(...)]` helper attributes, parsed into typed settings that remember the
//! tokens that set them, so every later error underlines the user's own `key = value`.
//!
//! Parsing collects errors instead of stopping at the first: after a bad value it skips
//! to the next `,` and carries on, so one build reports every mistake.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Error, Ident, LitStr, Meta, Path, Result, Token};

use crate::errors::Errors;

/// One setting as written: its value and the tokens `key = value` that set it.
pub(crate) struct Setting<T> {
    pub value: T,
    pub tokens: TokenStream,
}

impl<T> Setting<T> {
    /// An error underlining this setting.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::new_spanned(&self.tokens, message)
    }
}

/// The `PoolConfig` constructors `preset = "..."` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preset {
    HighPerformance,
    Balanced,
    Minimal,
    Disabled,
}

/// The numbers of a preset, mirrored from `PoolConfig` so attribute values can be checked
/// at compile time. A unit test compares them with the runtime's presets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PresetNumbers {
    pub initial: usize,
    pub max: usize,
    pub growth: f64,
    pub shrink: f64,
    pub enabled: bool,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::HighPerformance,
        Preset::Balanced,
        Preset::Minimal,
        Preset::Disabled,
    ];

    /// The name in `preset = "..."`, which is also the `PoolConfig` constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::HighPerformance => "high_performance",
            Preset::Balanced => "balanced",
            Preset::Minimal => "minimal",
            Preset::Disabled => "disabled",
        }
    }

    pub fn numbers(self) -> PresetNumbers {
        let (initial, max, growth, shrink, enabled) = match self {
            Preset::HighPerformance => (128, 1024, 1.5, 0.25, true),
            Preset::Balanced => (64, 512, 1.3, 0.3, true),
            Preset::Minimal => (32, 128, 1.2, 0.2, true),
            Preset::Disabled => (0, 0, 1.5, 0.0, false),
        };
        PresetNumbers {
            initial,
            max,
            growth,
            shrink,
            enabled,
        }
    }
}

/// `overflow = "allocate" | "fail"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    Allocate,
    Fail,
}

impl Overflow {
    pub fn name(self) -> &'static str {
        match self {
            Overflow::Allocate => "allocate",
            Overflow::Fail => "fail",
        }
    }
}

/// `#[pool(...)]` on the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub preset: Option<Setting<Preset>>,
    pub initial: Option<Setting<usize>>,
    pub max: Option<Setting<usize>>,
    pub growth: Option<Setting<f64>>,
    pub shrink: Option<Setting<f64>>,
    pub overflow: Option<Setting<Overflow>>,
    pub name: Option<Setting<Ident>>,
    pub sync: Option<Setting<()>>,
    pub init: Option<Setting<Path>>,
    pub krate: Option<Setting<Path>>,
}

/// The configuration the attributes describe: the preset's numbers with each explicit
/// setting applied on top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Effective {
    pub preset: Preset,
    pub numbers: PresetNumbers,
    pub overflow: Overflow,
}

impl StructAttrs {
    /// The preset named by `preset = "..."`, `balanced` (the runtime's default) if none.
    pub fn preset(&self) -> Preset {
        self.preset
            .as_ref()
            .map_or(Preset::Balanced, |preset| preset.value)
    }

    pub fn effective(&self) -> Effective {
        let preset = self.preset();
        let mut numbers = preset.numbers();
        if let Some(initial) = &self.initial {
            numbers.initial = initial.value;
        }
        if let Some(max) = &self.max {
            numbers.max = max.value;
        }
        if let Some(growth) = &self.growth {
            numbers.growth = growth.value;
        }
        if let Some(shrink) = &self.shrink {
            numbers.shrink = shrink.value;
        }
        Effective {
            preset,
            numbers,
            overflow: self
                .overflow
                .as_ref()
                .map_or(Overflow::Allocate, |overflow| overflow.value),
        }
    }
}

/// `#[pool(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub skip: Option<Setting<()>>,
    pub reset: Option<Setting<Path>>,
}

const STRUCT_KEYS: &[&str] = &[
    "preset", "initial", "max", "growth", "shrink", "overflow", "name", "sync", "init", "crate",
];
const FIELD_KEYS: &[&str] = &["skip", "reset"];

impl StructAttrs {
    /// Reads every `#[pool(...)]` among `attrs`, recording problems in `errors`.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = StructAttrs::default();
        for_each_setting(attrs, errors, |key, meta| {
            let tokens = &meta.path;
            match key.as_str() {
                "preset" => set(&mut out.preset, tokens, preset_value(meta)?),
                "initial" => set(&mut out.initial, tokens, int_value(meta, "initial = 64")?),
                "max" => set(&mut out.max, tokens, int_value(meta, "max = 1024")?),
                "growth" => set(&mut out.growth, tokens, float_value(meta, "growth = 1.5")?),
                "shrink" => set(&mut out.shrink, tokens, float_value(meta, "shrink = 0.25")?),
                "overflow" => set(&mut out.overflow, tokens, overflow_value(meta)?),
                "name" => set(&mut out.name, tokens, ident_value(meta)?),
                "sync" => set(&mut out.sync, tokens, flag(meta, "sync")?),
                "init" => set(
                    &mut out.init,
                    tokens,
                    path_value(meta, "init = \"Self::new\"")?,
                ),
                "crate" => set(
                    &mut out.krate,
                    tokens,
                    path_value(meta, "crate = \"my_crate::evm_pool\"")?,
                ),
                _ if FIELD_KEYS.contains(&key.as_str()) => Err(meta.error(format_args!(
                    "`{key}` is a field attribute: put `#[pool({key}{})]` on the field it is for",
                    if key == "reset" { " = \"path\"" } else { "" }
                ))),
                _ => Err(meta.error(unknown_key(&key, STRUCT_KEYS, "on a struct"))),
            }
        });
        out
    }
}

impl FieldAttrs {
    /// Reads every `#[pool(...)]` among a field's `attrs`, recording problems in `errors`.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = FieldAttrs::default();
        for_each_setting(attrs, errors, |key, meta| {
            let tokens = &meta.path;
            match key.as_str() {
                "skip" => set(&mut out.skip, tokens, flag(meta, "skip")?),
                "reset" => set(
                    &mut out.reset,
                    tokens,
                    path_value(meta, "reset = \"path::to::function\"")?,
                ),
                _ if STRUCT_KEYS.contains(&key.as_str()) => Err(meta.error(format_args!(
                    "`{key}` configures the pool: put it in the `#[pool(...)]` on the struct, \
                     not on a field"
                ))),
                _ => Err(meta.error(unknown_key(&key, FIELD_KEYS, "on a field"))),
            }
        });
        out
    }
}

/// A parsed value with the tokens that spelled it.
struct Value<T> {
    value: T,
    tokens: TokenStream,
}

/// Stores a setting, or reports a duplicate (keeping the first).
fn set<T>(slot: &mut Option<Setting<T>>, key: &Path, value: Value<T>) -> Result<()> {
    let tokens = if value.tokens.is_empty() {
        key.to_token_stream()
    } else {
        let value_tokens = &value.tokens;
        quote!(#key = #value_tokens)
    };
    if slot.is_some() {
        let key = key.to_token_stream().to_string();
        return Err(Error::new_spanned(
            tokens,
            format_args!("duplicate `{key}` in `#[pool(...)]`: set it once and remove this one"),
        ));
    }
    *slot = Some(Setting {
        value: value.value,
        tokens,
    });
    Ok(())
}

/// Calls `on_setting(key, meta)` for every `key` in every `#[pool(...)]` attribute,
/// recording errors and skipping to the next setting after one.
fn for_each_setting(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut on_setting: impl FnMut(String, &ParseNestedMeta<'_>) -> Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("pool")) {
        if !matches!(attr.meta, Meta::List(_)) {
            errors.push(Error::new_spanned(
                attr,
                "expected `#[pool(...)]` with settings in parentheses, e.g. `#[pool(max = 1024)]`",
            ));
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            let key = match meta.path.get_ident() {
                Some(ident) => ident.to_string(),
                None => {
                    errors.push(Error::new_spanned(
                        &meta.path,
                        "expected a setting name such as `max`, not a path",
                    ));
                    return skip_value(&meta);
                }
            };
            if let Err(error) = on_setting(key, &meta) {
                errors.push(error);
                return skip_value(&meta);
            }
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
}

/// Skips the rest of a setting after an error, up to the next top-level `,`.
fn skip_value(meta: &ParseNestedMeta<'_>) -> Result<()> {
    while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string()
}

/// Consumes `=`, or explains the expected form (`example`) when it is missing.
fn expect_eq(meta: &ParseNestedMeta<'_>, example: &str) -> Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(meta.error(format_args!(
            "`{}` needs a value: write `{example}`",
            key_name(meta)
        )))
    }
}

fn flag(meta: &ParseNestedMeta<'_>, key: &str) -> Result<Value<()>> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        Ok(Value {
            value: (),
            tokens: TokenStream::new(),
        })
    } else {
        Err(meta.error(format_args!(
            "`{key}` takes no value: write `#[pool({key})]`"
        )))
    }
}

fn lit_str(meta: &ParseNestedMeta<'_>, example: &str) -> Result<LitStr> {
    expect_eq(meta, example)?;
    if meta.input.peek(LitStr) {
        meta.input.parse()
    } else {
        Err(meta
            .input
            .error(format_args!("expected a string literal: write `{example}`")))
    }
}

fn preset_value(meta: &ParseNestedMeta<'_>) -> Result<Value<Preset>> {
    let lit = lit_str(meta, "preset = \"high_performance\"")?;
    let name = lit.value();
    match Preset::ALL.into_iter().find(|preset| preset.name() == name) {
        Some(value) => Ok(Value {
            value,
            tokens: lit.to_token_stream(),
        }),
        None => {
            let names: Vec<&str> = Preset::ALL.iter().map(|preset| preset.name()).collect();
            Err(Error::new_spanned(
                &lit,
                format_args!(
                    "unknown preset `{name}`: expected one of {}{}",
                    quoted_list(&names),
                    did_you_mean(&name, &names)
                ),
            ))
        }
    }
}

fn overflow_value(meta: &ParseNestedMeta<'_>) -> Result<Value<Overflow>> {
    let lit = lit_str(meta, "overflow = \"fail\"")?;
    let value = match lit.value().as_str() {
        "allocate" => Overflow::Allocate,
        "fail" => Overflow::Fail,
        other => {
            return Err(Error::new_spanned(
                &lit,
                format_args!(
                    "unknown overflow policy `{other}`: expected `\"allocate\"` (create beyond \
                     `max`) or `\"fail\"` (`try_acquire` returns an error)"
                ),
            ));
        }
    };
    Ok(Value {
        value,
        tokens: lit.to_token_stream(),
    })
}

fn int_value(meta: &ParseNestedMeta<'_>, example: &str) -> Result<Value<usize>> {
    expect_eq(meta, example)?;
    let lit: syn::Lit = match meta.input.parse() {
        Ok(lit) => lit,
        Err(_) => {
            return Err(meta
                .input
                .error(format_args!("expected an integer: write `{example}`")));
        }
    };
    match &lit {
        syn::Lit::Int(int) => match int.base10_parse::<usize>() {
            Ok(value) => Ok(Value {
                value,
                tokens: lit.to_token_stream(),
            }),
            Err(_) => Err(Error::new_spanned(
                &lit,
                format_args!("expected an integer that fits in `usize`: write `{example}`"),
            )),
        },
        _ => Err(Error::new_spanned(
            &lit,
            format_args!("expected an integer: write `{example}`"),
        )),
    }
}

fn float_value(meta: &ParseNestedMeta<'_>, example: &str) -> Result<Value<f64>> {
    expect_eq(meta, example)?;
    // A negative number is a `-` token and a literal; accepted here so that validation
    // can say what range the value must lie in.
    let minus: Option<Token![-]> = meta.input.parse()?;
    let lit: syn::Lit = match meta.input.parse() {
        Ok(lit) => lit,
        Err(_) => {
            return Err(meta
                .input
                .error(format_args!("expected a number: write `{example}`")));
        }
    };
    let value = match &lit {
        syn::Lit::Float(float) => float.base10_parse::<f64>()?,
        syn::Lit::Int(int) => int.base10_parse::<f64>()?,
        _ => {
            return Err(Error::new_spanned(
                &lit,
                format_args!("expected a number: write `{example}`"),
            ));
        }
    };
    Ok(Value {
        value: if minus.is_some() { -value } else { value },
        tokens: quote!(#minus #lit),
    })
}

/// A path, written as a string literal (`"path::to::fn"`, like serde) or bare.
fn path_value(meta: &ParseNestedMeta<'_>, example: &str) -> Result<Value<Path>> {
    expect_eq(meta, example)?;
    if meta.input.peek(LitStr) {
        let lit: LitStr = meta.input.parse()?;
        // Tokens parsed from the literal carry its span, so type errors in the generated
        // call point at the user's string.
        let value = lit.parse::<Path>().map_err(|_| {
            Error::new_spanned(
                &lit,
                format_args!("expected a path in the string: write `{example}`"),
            )
        })?;
        Ok(Value {
            value,
            tokens: lit.to_token_stream(),
        })
    } else {
        let value: Path = meta.input.parse().map_err(|_| {
            meta.input
                .error(format_args!("expected a path: write `{example}`"))
        })?;
        let tokens = value.to_token_stream();
        Ok(Value { value, tokens })
    }
}

/// An identifier, bare (`name = FramePool`) or as a string (`name = "FramePool"`).
fn ident_value(meta: &ParseNestedMeta<'_>) -> Result<Value<Ident>> {
    const EXAMPLE: &str = "name = FramePool";
    expect_eq(meta, EXAMPLE)?;
    if meta.input.peek(LitStr) {
        let lit: LitStr = meta.input.parse()?;
        let value = lit.parse::<Ident>().map_err(|_| {
            Error::new_spanned(
                &lit,
                format_args!("expected a type name in the string: write `{EXAMPLE}`"),
            )
        })?;
        Ok(Value {
            value,
            tokens: lit.to_token_stream(),
        })
    } else {
        let value: Ident = meta.input.parse().map_err(|_| {
            meta.input
                .error(format_args!("expected a type name: write `{EXAMPLE}`"))
        })?;
        let tokens = value.to_token_stream();
        Ok(Value { value, tokens })
    }
}

fn unknown_key(key: &str, known: &[&str], place: &str) -> String {
    let hint = match key {
        "shrink_threshold" => "; did you mean `shrink`?".to_owned(),
        "crate_path" | "krate" => "; did you mean `crate`?".to_owned(),
        "default" | "new" | "constructor" => "; did you mean `init`?".to_owned(),
        "ignore" | "keep" => "; did you mean `skip`?".to_owned(),
        _ => did_you_mean(key, known),
    };
    format!(
        "unknown `#[pool(...)]` setting `{key}` {place}: expected one of {}{hint}",
        quoted_list(known)
    )
}

fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    quoted.join(", ")
}

/// `"; did you mean `x`?"` for the closest name within a small edit distance, else `""`.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, candidate)| {
            *distance <= candidate.len().max(3) / 3
                || (word.len() >= 4 && candidate.starts_with(word.trim_end_matches('_')))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!("; did you mean `{candidate}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The span to blame when no attribute is at fault (the derive input's name, say).
pub(crate) fn span_of(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_struct(attrs: TokenStream) -> (StructAttrs, Vec<String>) {
        let input: syn::DeriveInput = syn::parse2(quote!(#attrs struct S;)).unwrap();
        let mut errors = Errors::default();
        let parsed = StructAttrs::parse(&input.attrs, &mut errors);
        (parsed, errors.messages())
    }

    #[test]
    fn presets_mirror_the_runtime() {
        use evm_pool_runtime::PoolConfig;
        for preset in Preset::ALL {
            let runtime = match preset {
                Preset::HighPerformance => PoolConfig::high_performance(),
                Preset::Balanced => PoolConfig::balanced(),
                Preset::Minimal => PoolConfig::minimal(),
                Preset::Disabled => PoolConfig::disabled(),
            };
            let numbers = preset.numbers();
            assert_eq!(
                (
                    numbers.initial,
                    numbers.max,
                    numbers.growth,
                    numbers.shrink,
                    numbers.enabled
                ),
                (
                    runtime.initial,
                    runtime.max,
                    runtime.growth,
                    runtime.shrink_threshold,
                    runtime.enabled
                ),
                "{preset:?}"
            );
        }
    }

    #[test]
    fn parses_every_struct_setting() {
        let (attrs, errors) = parse_struct(quote! {
            #[pool(preset = "minimal", initial = 4, max = 16, growth = 2, shrink = 0.5)]
            #[pool(overflow = "fail", name = "ScratchPool", sync, init = "Self::fresh")]
            #[pool(crate = "my::evm_pool")]
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.preset.unwrap().value, Preset::Minimal);
        assert_eq!(attrs.initial.unwrap().value, 4);
        assert_eq!(attrs.max.unwrap().value, 16);
        assert_eq!(attrs.growth.unwrap().value, 2.0);
        assert_eq!(attrs.shrink.unwrap().value, 0.5);
        assert_eq!(attrs.overflow.unwrap().value, Overflow::Fail);
        assert_eq!(attrs.name.unwrap().value, "ScratchPool");
        assert!(attrs.sync.is_some());
        let init = attrs.init.unwrap().value;
        assert_eq!(init.to_token_stream().to_string(), "Self :: fresh");
        let krate = attrs.krate.unwrap().value;
        assert_eq!(krate.to_token_stream().to_string(), "my :: evm_pool");
    }

    #[test]
    fn collects_every_error_in_one_pass() {
        let (attrs, errors) = parse_struct(quote! {
            #[pool(presett = "minimal", max = "big", max = 3, max = 4, sync = true, skip)]
        });
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors[0].contains("did you mean `preset`?"),
            "{}",
            errors[0]
        );
        assert!(errors[1].contains("expected an integer"), "{}", errors[1]);
        assert!(errors[2].contains("duplicate `max`"), "{}", errors[2]);
        assert!(errors[3].contains("takes no value"), "{}", errors[3]);
        assert!(errors[4].contains("field attribute"), "{}", errors[4]);
        assert_eq!(attrs.max.unwrap().value, 3);
    }

    #[test]
    fn field_settings() {
        let field: syn::DeriveInput = syn::parse2(quote! {
            struct S { #[pool(skip)] #[pool(reset = "clear_logs")] a: u8 }
        })
        .unwrap();
        let syn::Data::Struct(data) = &field.data else {
            unreachable!()
        };
        let mut errors = Errors::default();
        let attrs = FieldAttrs::parse(&data.fields.iter().next().unwrap().attrs, &mut errors);
        assert!(errors.messages().is_empty());
        assert!(attrs.skip.is_some() && attrs.reset.is_some());

        let mut errors = Errors::default();
        let bad: Vec<Attribute> = vec![syn::parse_quote!(#[pool(max = 3, rest = "x")])];
        FieldAttrs::parse(&bad, &mut errors);
        let messages = errors.messages();
        assert!(messages[0].contains("on the struct"), "{messages:?}");
        assert!(
            messages[1].contains("did you mean `reset`?"),
            "{messages:?}"
        );
    }

    #[test]
    fn suggestions_need_closeness() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("minimall", &["minimal", "balanced"]),
            "; did you mean `minimal`?"
        );
        assert_eq!(did_you_mean("fast", &["minimal", "balanced"]), "");
        assert_eq!(
            did_you_mean("high_perf", &["high_performance", "balanced"]),
            "; did you mean `high_performance`?"
        );
    }
}
