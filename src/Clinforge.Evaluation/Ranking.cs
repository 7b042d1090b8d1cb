namespace Clinforge.Evaluation;

/// <summary>Mid-ranks (average ranks for ties), the basis of the Mann–Whitney AUC and of DeLong's components.</summary>
internal static class Ranking
{
    /// <summary>
    /// 1-based ranks of <paramref name="values"/>, tied values receiving the mean of the ranks they
    /// span; O(n log n). Values must not be NaN.
    /// </summary>
    public static double[] MidRanks(IReadOnlyList<double> values)
    {
        var n = values.Count;
        var keys = new double[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = values[i];
            order[i] = i;
        }
        Array.Sort(keys, order);
        var ranks = new double[n];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            // Positions start..end-1 (0-based) hold ranks start+1..end; their mean is (start+1+end)/2.
            var mid = 0.5 * (start + 1 + end);
            for (var k = start; k < end; k++) ranks[order[k]] = mid;
            start = end;
        }
        return ranks;
    }
}
