namespace Clinforge.Core;

/// <summary>
/// The names of the operating options a trade-off offers (<see cref="OperatingOption.Key"/>), which a
/// clinician types (<c>--trade-off KEY</c>) or clicks, and which reports read back.
/// </summary>
public static class TradeOffKeys
{
    /// <summary>Conflicting floors: keep the sensitivity floor.</summary>
    public const string SensitivityFirst = "sensitivity_first";
    /// <summary>Conflicting floors: keep the specificity floor.</summary>
    public const string SpecificityFirst = "specificity_first";
    /// <summary>Either trade-off: the balanced (Youden) point.</summary>
    public const string Balanced = "balanced";
    /// <summary>Costly margin: meet the sensitivity floor for new patients, at its lower confidence bound.</summary>
    public const string PromiseFloor = "promise_floor";
    /// <summary>Costly margin: meet the sensitivity floor on the development images only.</summary>
    public const string PointEstimate = "point_estimate";

    /// <summary>Every key a clinician can name.</summary>
    public static IReadOnlyList<string> All { get; } = [SensitivityFirst, SpecificityFirst, Balanced, PromiseFloor, PointEstimate];
}
