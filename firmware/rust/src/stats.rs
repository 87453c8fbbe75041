//! Sorting and percentiles of samples (the C runtime's rt_sort, rt_percentile).

/// Ascending, in place: Ciura's shell sort (as rt_sort).
pub fn sort(a: &mut [u32]) {
    for &gap in &[701usize, 301, 132, 57, 23, 10, 4, 1] {
        for i in gap..a.len() {
            let x = a[i];
            let mut j = i;
            while j >= gap && a[j - gap] > x {
                a[j] = a[j - gap];
                j -= gap;
            }
            a[j] = x;
        }
    }
}

/// Nearest-rank percentile of a sorted slice (0 for an empty one).
pub fn percentile(s: &[u32], pct: u32) -> u32 {
    if s.is_empty() {
        return 0;
    }
    let rank = ((pct as usize * s.len() + 99) / 100).max(1);
    s[rank - 1]
}
