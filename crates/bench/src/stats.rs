pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (samples.len() as f64 - 1.0)).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// Three decimals are more than any of these figures can claim.
pub fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

pub fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn log(message: impl std::fmt::Display) {
    eprintln!("[bench] {message}");
}
