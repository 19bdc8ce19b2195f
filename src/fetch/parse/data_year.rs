//! What the Commission's per-edition files share when read per data year (a dataset's
//! `[by_data_year]`, [`ByDataYear`]): the EU's code. The cell rule itself (data year, edition,
//! scale) is [`ByDataYear::cell`]. Must not read files or know any format.

use super::ByDataYear;

/// Eurostat's code for the EU aggregate, under which the Commission's EU values are stored.
pub(super) const EUROSTAT_EU: &str = "EU27_2020";

/// `geo` as stored: the table's code for the EU becomes `EU27_2020`.
pub(super) fn geo<'a>(table: &ByDataYear, geo: &'a str) -> &'a str {
    if table.eu.as_deref() == Some(geo) {
        EUROSTAT_EU
    } else {
        geo
    }
}

/// `value` (as published in `text`) multiplied by `scale`, with no more decimals than the
/// published ones allow, and at most the 15 significant digits a double holds for certain:
/// 0.542318 × 100 is 54.2318, not 54.231800000000004, and a published 0.055999999999999994 (a
/// spreadsheet's binary noise) gives 5.6. A scale that is not a power of ten, or a text with an
/// exponent, gives the plain product.
pub(super) fn scaled(value: f64, text: &str, scale: f64) -> f64 {
    if scale == 1.0 {
        return value;
    }
    let shift = scale.log10();
    let product = value * scale;
    if shift.fract() != 0.0 || text.contains(['e', 'E']) {
        return product;
    }
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    let whole_digits = if product.abs() >= 1.0 {
        product.abs().log10().floor() as usize + 1
    } else {
        0
    };
    let kept = decimals
        .saturating_sub(shift as usize)
        .min(15usize.saturating_sub(whole_digits));
    format!("{product:.kept$}").parse().unwrap_or(product)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_times_a_hundred_keeps_the_published_precision() {
        assert_eq!(scaled(0.542318, "0.542318", 100.0), 54.2318);
        let noisy = "0.055999999999999994";
        assert_eq!(scaled(noisy.parse().unwrap(), noisy, 100.0), 5.6);
        let long = "0.1810383062919465";
        assert_eq!(scaled(long.parse().unwrap(), long, 100.0), 18.1038306291947);
        assert_eq!(scaled(73.25, "73.25", 1.0), 73.25);
        assert_eq!(scaled(0.5, "5e-1", 100.0), 50.0);
    }
}
