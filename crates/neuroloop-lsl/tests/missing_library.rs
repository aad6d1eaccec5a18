//! Without liblsl, loading fails with an error that names every place tried
//! and how to fix it. Its own test binary (own process): nothing else has
//! loaded liblsl here.

#[test]
fn missing_library_is_a_clear_error() {
    let missing = std::env::temp_dir().join("neuroloop-no-such-dir/liblsl.so");
    // SAFETY: the only test of this binary; no other thread reads the
    // environment concurrently.
    unsafe {
        std::env::set_var("LSL_LIB", &missing);
        std::env::set_var("NEUROLOOP_LSL_NO_SEARCH", "1");
    }
    let err =
        neuroloop_lsl::load(&neuroloop_lsl::Settings::default()).expect_err("no liblsl can load");
    assert!(
        matches!(err, neuroloop_lsl::LslError::NotFound { .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let text = err.to_string();
    eprintln!("{text}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(text.contains("NEUROLOOP_LSL_NO_SEARCH"), "{text}");
    assert!(text.contains("pip install pylsl"), "{text}");
    assert!(text.contains("set LSL_LIB"), "{text}");
}
