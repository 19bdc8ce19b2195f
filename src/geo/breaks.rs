//! Class breaks for a choropleth: quantiles (as many values in each class) and Jenks natural
//! breaks (Fisher's exact optimisation: classes that minimise the sum of squared deviations from
//! their means). Both return the inner class bounds, ascending and without repeats: `k` classes
//! give at most `k − 1` breaks, fewer when the values do not allow `k` distinct classes. A value
//! belongs to the first class whose bound is not below it ([`class_of`]): bounds are inclusive
//! upper bounds. Non-finite values are ignored. Pure arithmetic: no I/O.

/// The finite values, sorted ascending.
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn dedup(mut breaks: Vec<f64>, max: f64) -> Vec<f64> {
    breaks.dedup();
    // A bound at the maximum would leave the last class empty.
    breaks.retain(|b| *b < max);
    breaks
}

/// The class (0 = lowest) of `value` for these `breaks`.
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks.iter().take_while(|b| value > **b).count()
}

/// Quantile breaks: the `i/classes` quantiles for `i` in `1..classes`, interpolated between
/// the closest ranks (R's and NumPy's default, "type 7").
pub fn quantiles(values: &[f64], classes: usize) -> Vec<f64> {
    let v = sorted(values);
    let (Some(&max), true) = (v.last(), classes >= 2) else {
        return Vec::new();
    };
    let n = v.len();
    let breaks = (1..classes)
        .map(|i| {
            let h = (n - 1) as f64 * i as f64 / classes as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            v[lo] + (h - lo as f64) * (v[hi] - v[lo])
        })
        .collect();
    dedup(breaks, max)
}

/// Jenks natural breaks: the upper bounds of the first `classes − 1` classes of the optimal
/// partition of the sorted values (exact dynamic programme, O(classes · n²); a map has a few
/// hundred regions).
pub fn natural(values: &[f64], classes: usize) -> Vec<f64> {
    let v = sorted(values);
    let (Some(&max), true) = (v.last(), classes >= 2) else {
        return Vec::new();
    };
    let n = v.len();
    let k = classes.min(n);
    if k < 2 {
        return Vec::new();
    }
    // Prefix sums give the squared deviation of any run v[i..j] in O(1).
    let mut sum = vec![0.0; n + 1];
    let mut sum2 = vec![0.0; n + 1];
    for (i, x) in v.iter().enumerate() {
        sum[i + 1] = sum[i] + x;
        sum2[i + 1] = sum2[i] + x * x;
    }
    let ssd = |i: usize, j: usize| {
        let (s, s2, m) = (sum[j] - sum[i], sum2[j] - sum2[i], (j - i) as f64);
        (s2 - s * s / m).max(0.0)
    };
    // cost[c][j]: the least total deviation of v[..j] in c + 1 classes; cut[c][j]: where the
    // last of them starts.
    let mut cost = vec![vec![f64::INFINITY; n + 1]; k];
    let mut cut = vec![vec![0usize; n + 1]; k];
    for (j, first) in cost[0].iter_mut().enumerate().skip(1) {
        *first = ssd(0, j);
    }
    for c in 1..k {
        for j in (c + 1)..=n {
            for i in c..j {
                let total = cost[c - 1][i] + ssd(i, j);
                if total < cost[c][j] {
                    cost[c][j] = total;
                    cut[c][j] = i;
                }
            }
        }
    }
    let mut starts = Vec::with_capacity(k - 1);
    let mut j = n;
    for c in (1..k).rev() {
        j = cut[c][j];
        starts.push(j);
    }
    starts.reverse();
    dedup(starts.into_iter().map(|s| v[s - 1]).collect(), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_one_to_ten_are_r_s_type_7_quartiles() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantiles(&values, 4), [3.25, 5.5, 7.75]);
        assert_eq!(quantiles(&values, 2), [5.5]);
        // The order of the input does not matter.
        let mut shuffled = values.clone();
        shuffled.reverse();
        assert_eq!(quantiles(&shuffled, 4), [3.25, 5.5, 7.75]);
    }

    #[test]
    fn quantile_classes_hold_as_many_values_each() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(i * i)).collect();
        let breaks = quantiles(&values, 5);
        assert_eq!(breaks.len(), 4);
        let mut counts = [0; 5];
        for v in &values {
            counts[class_of(*v, &breaks)] += 1;
        }
        assert_eq!(counts, [20, 20, 20, 20, 20]);
    }

    #[test]
    fn natural_breaks_find_the_clusters() {
        let values = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 20.0, 21.0, 22.0];
        assert_eq!(natural(&values, 3), [3.0, 12.0]);
        let values = [21.0, 0.0, 11.0, 1.0, 5.0, 20.0, 6.0, 10.0];
        assert_eq!(natural(&values, 4), [1.0, 6.0, 11.0]);
    }

    /// The least total squared deviation over every partition of sorted `v` into `k` runs.
    fn brute_force(v: &[f64], k: usize) -> f64 {
        fn dev(run: &[f64]) -> f64 {
            let m = run.iter().sum::<f64>() / run.len() as f64;
            run.iter().map(|x| (x - m).powi(2)).sum()
        }
        if k == 1 {
            return dev(v);
        }
        (1..=v.len() - (k - 1))
            .map(|i| dev(&v[..i]) + brute_force(&v[i..], k - 1))
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn natural_breaks_are_the_optimal_partition_on_real_looking_values() {
        // Shares of households with internet access, as a regional indicator has them.
        let values = [
            72.1, 98.0, 85.4, 91.2, 88.8, 79.5, 95.1, 93.3, 68.0, 90.0, 86.7, 97.2,
        ];
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        for k in 2..=5 {
            let breaks = natural(&values, k);
            assert_eq!(breaks.len(), k - 1, "{k} classes: {breaks:?}");
            let mut classes = vec![Vec::new(); k];
            for x in &v {
                classes[class_of(*x, &breaks)].push(*x);
            }
            let total: f64 = classes
                .iter()
                .map(|c| {
                    let m = c.iter().sum::<f64>() / c.len() as f64;
                    c.iter().map(|x| (x - m).powi(2)).sum::<f64>()
                })
                .sum();
            assert!(
                (total - brute_force(&v, k)).abs() < 1e-9,
                "{k} classes: {total} vs the optimum {}",
                brute_force(&v, k)
            );
        }
    }

    #[test]
    fn too_few_distinct_values_give_fewer_breaks_and_no_empty_class() {
        assert_eq!(natural(&[5.0, 5.0, 5.0], 4), Vec::<f64>::new());
        assert_eq!(quantiles(&[5.0, 5.0, 5.0], 4), Vec::<f64>::new());
        assert_eq!(natural(&[1.0, 2.0], 5), [1.0]);
        assert_eq!(natural(&[], 5), Vec::<f64>::new());
        assert_eq!(quantiles(&[f64::NAN, 1.0, 3.0], 2), [2.0]);
    }

    #[test]
    fn a_value_on_a_bound_belongs_to_the_lower_class() {
        let breaks = [3.0, 12.0];
        assert_eq!(class_of(1.0, &breaks), 0);
        assert_eq!(class_of(3.0, &breaks), 0);
        assert_eq!(class_of(3.5, &breaks), 1);
        assert_eq!(class_of(12.0, &breaks), 1);
        assert_eq!(class_of(40.0, &breaks), 2);
    }
}
