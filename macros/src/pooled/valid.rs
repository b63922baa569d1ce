//! Compile-time checks of the model: every setting that `PoolConfig::validate` would
//! reject at run time, and every combination that cannot mean anything, becomes a spanned
//! error naming the setting and the fix. All problems are reported in one build.

use syn::Result;

use super::ast::Input;
use super::attr::Preset;
use crate::errors::Errors;

impl Input<'_> {
    pub fn validate(&self) -> Result<()> {
        let mut errors = Errors::default();
        self.validate_config(&mut errors);
        self.validate_name(&mut errors);
        self.validate_fields(&mut errors);
        errors.finish(())
    }

    fn validate_config(&self, errors: &mut Errors) {
        let attrs = &self.attrs;
        let effective = attrs.effective();
        let numbers = effective.numbers;

        if effective.preset == Preset::Disabled {
            let sizing = [
                ("initial", attrs.initial.as_ref().map(|s| &s.tokens)),
                ("max", attrs.max.as_ref().map(|s| &s.tokens)),
                ("growth", attrs.growth.as_ref().map(|s| &s.tokens)),
                ("shrink", attrs.shrink.as_ref().map(|s| &s.tokens)),
                ("overflow", attrs.overflow.as_ref().map(|s| &s.tokens)),
            ];
            for (key, tokens) in sizing {
                if let Some(tokens) = tokens {
                    errors.push(syn::Error::new_spanned(
                        tokens,
                        format_args!(
                            "`{key}` has no effect with `preset = \"disabled\"`, which pools \
                             nothing (every acquire allocates, every release drops): remove \
                             `{key}`, or choose another preset"
                        ),
                    ));
                }
            }
            return;
        }

        if let Some(max) = &attrs.max
            && max.value == 0
        {
            errors.push(max.error(
                "`max = 0` makes a pool that can hold nothing: to turn pooling off write \
                 `preset = \"disabled\"`, otherwise raise `max`",
            ));
        } else if numbers.max < numbers.initial {
            let preset = effective.preset.name();
            match (&attrs.max, &attrs.initial) {
                (Some(max), initial) => {
                    let from = if initial.is_some() {
                        String::new()
                    } else {
                        format!(", from `preset = \"{preset}\"`")
                    };
                    errors.push(max.error(format_args!(
                        "`max = {}` is below `initial` ({}{from}): a pool never owns more than \
                         `max` objects, so it cannot start with more. Raise `max` or lower \
                         `initial`",
                        numbers.max, numbers.initial
                    )));
                }
                (None, Some(initial)) => errors.push(initial.error(format_args!(
                    "`initial = {}` is above `max` ({}, from `preset = \"{preset}\"`): a pool \
                     never owns more than `max` objects. Lower `initial` or set a larger `max`",
                    numbers.initial, numbers.max
                ))),
                (None, None) => {} // A preset is valid on its own (unit-tested).
            }
        }

        if let Some(growth) = &attrs.growth
            && !(growth.value.is_finite() && growth.value > 1.0)
        {
            errors.push(growth.error(format_args!(
                "`growth = {:?}` must be a finite number greater than 1: on a miss the pool grows \
                 its stock to `ceil(owned * growth)` objects. Write e.g. `growth = 1.5`",
                growth.value
            )));
        }

        if let Some(shrink) = &attrs.shrink
            && !(0.0..=1.0).contains(&shrink.value)
        {
            errors.push(shrink.error(format_args!(
                "`shrink = {:?}` is outside 0..=1: it is the utilization (peak in use / owned) \
                 below which `auto_shrink` trims idle objects. Write e.g. `shrink = 0.25`",
                shrink.value
            )));
        }
    }

    fn validate_name(&self, errors: &mut Errors) {
        if let Some(name) = &self.attrs.name
            && name.value == *self.ident
        {
            errors.push(name.error(format_args!(
                "`name = {0}` is the struct's own name: the pool type needs another, e.g. \
                 `name = {0}Pool`",
                self.ident
            )));
        }
    }

    fn validate_fields(&self, errors: &mut Errors) {
        for field in &self.fields {
            if let (Some(_), Some(reset)) = (&field.attrs.skip, &field.attrs.reset) {
                errors.push(reset.error(
                    "`skip` and `reset` contradict each other: `skip` keeps the field's value \
                     across uses, `reset = ...` runs a function on it. Remove one of them",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn errors_of(input: proc_macro2::TokenStream) -> Vec<String> {
        let input: syn::DeriveInput = syn::parse2(input).unwrap();
        let model = Input::from_syn(&input).unwrap();
        match model.validate() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn presets_alone_are_valid() {
        for preset in Preset::ALL {
            let name = preset.name();
            assert!(
                errors_of(quote!(
                    #[pool(preset = #name)]
                    struct S;
                ))
                .is_empty()
            );
        }
        assert!(
            errors_of(quote!(
                struct S;
            ))
            .is_empty()
        );
    }

    #[test]
    fn max_against_initial_uses_the_preset() {
        // balanced: initial 64, max 512.
        let errors = errors_of(quote!(
            #[pool(max = 10)]
            struct S;
        ));
        assert!(
            errors[0].contains("below `initial` (64, from `preset = \"balanced\"`)"),
            "{errors:?}"
        );
        let errors = errors_of(quote!(
            #[pool(preset = "minimal", initial = 200)]
            struct S;
        ));
        assert!(
            errors[0].contains("above `max` (128, from `preset = \"minimal\"`)"),
            "{errors:?}"
        );
        assert!(
            errors_of(quote!(
                #[pool(initial = 10, max = 10)]
                struct S;
            ))
            .is_empty()
        );
        assert!(
            errors_of(quote!(
                #[pool(initial = 0, max = 1)]
                struct S;
            ))
            .is_empty()
        );
        let errors = errors_of(quote!(
            #[pool(initial = 0, max = 0)]
            struct S;
        ));
        assert!(errors[0].contains("preset = \\\"disabled\\\"") || errors[0].contains("disabled"));
    }

    #[test]
    fn growth_shrink_ranges() {
        assert_eq!(
            errors_of(quote!(
                #[pool(growth = 1)]
                struct S;
            ))
            .len(),
            1
        );
        assert_eq!(
            errors_of(quote!(
                #[pool(growth = 0.5)]
                struct S;
            ))
            .len(),
            1
        );
        assert_eq!(
            errors_of(quote!(
                #[pool(growth = 1e999)]
                struct S;
            ))
            .len(),
            1
        );
        assert!(
            errors_of(quote!(
                #[pool(growth = 1.01)]
                struct S;
            ))
            .is_empty()
        );
        assert!(
            errors_of(quote!(
                #[pool(shrink = 0)]
                struct S;
            ))
            .is_empty()
        );
        assert!(
            errors_of(quote!(
                #[pool(shrink = 1.0)]
                struct S;
            ))
            .is_empty()
        );
        assert_eq!(
            errors_of(quote!(
                #[pool(shrink = 1.5)]
                struct S;
            ))
            .len(),
            1
        );
        let errors = errors_of(quote!(
            #[pool(shrink = -0.5, growth = -2)]
            struct S;
        ));
        assert!(errors[0].contains("`growth = -2.0` must be"), "{errors:?}");
        assert!(
            errors[1].contains("`shrink = -0.5` is outside 0..=1"),
            "{errors:?}"
        );
    }

    #[test]
    fn all_problems_reported_together() {
        let errors = errors_of(quote! {
            #[pool(max = 1, growth = 1.0, shrink = 2, name = S)]
            struct S { #[pool(skip, reset = "f")] a: u8 }
        });
        assert_eq!(errors.len(), 5, "{errors:#?}");
    }

    #[test]
    fn disabled_rejects_sizing() {
        let errors = errors_of(quote!(
            #[pool(preset = "disabled", max = 4, overflow = "fail")]
            struct S;
        ));
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].contains("`max` has no effect"));
    }

    proptest::proptest! {
        /// The compile-time check accepts exactly what `PoolConfig::validate` accepts at
        /// run time (a `disabled` preset with sizing settings is the one deliberate
        /// difference: legal at run time, meaningless, so rejected here).
        #[test]
        fn agrees_with_runtime_validation(
            preset in 0..4usize,
            initial in proptest::option::of(0..300usize),
            max in proptest::option::of(0..1200usize),
            growth in proptest::option::of(proptest::sample::select(vec![0.5, 1.0, 1.01, 1.5, 4.0])),
            shrink in proptest::option::of(proptest::sample::select(vec![-0.5, 0.0, 0.3, 1.0, 1.5])),
        ) {
            use evm_pool_runtime::PoolConfig;
            let preset = Preset::ALL[preset];
            let name = preset.name();
            let mut settings = vec![quote!(preset = #name)];
            let mut config = match preset {
                Preset::HighPerformance => PoolConfig::high_performance(),
                Preset::Balanced => PoolConfig::balanced(),
                Preset::Minimal => PoolConfig::minimal(),
                Preset::Disabled => PoolConfig::disabled(),
            };
            if let Some(initial) = initial {
                settings.push(quote!(initial = #initial));
                config.initial = initial;
            }
            if let Some(max) = max {
                settings.push(quote!(max = #max));
                config.max = max;
            }
            if let Some(growth) = growth {
                settings.push(quote!(growth = #growth));
                config.growth = growth;
            }
            if let Some(shrink) = shrink {
                // A negative literal is not a literal token: write it as the macro sees it.
                let lit: proc_macro2::TokenStream = format!("{shrink:?}").parse().unwrap();
                settings.push(quote!(shrink = #lit));
                config.shrink_threshold = shrink;
            }
            let errors = errors_of(quote!(#[pool(#(#settings),*)] struct S;));
            let sized = initial.is_some() || max.is_some() || growth.is_some() || shrink.is_some();
            if preset == Preset::Disabled && sized {
                proptest::prop_assert!(!errors.is_empty());
            } else {
                proptest::prop_assert_eq!(errors.is_empty(), config.validate().is_ok(), "{:?}", errors);
            }
        }
    }
}
