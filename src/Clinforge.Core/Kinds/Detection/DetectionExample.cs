namespace Clinforge.Core;

/// <summary>
/// A test image drawn for the report at the one test look (the final model's boxes at its operating
/// point), so a report rewritten later shows it without reading test pixels again.
/// </summary>
/// <param name="Kind">Why it was chosen: "true mark", "miss" or "false mark".</param>
/// <param name="Id">The image.</param>
/// <param name="TrueMarks">Kept boxes matched to a true box at IoU ≥ 0.5.</param>
/// <param name="Missed">True boxes no kept box matched.</param>
/// <param name="FalseMarks">Kept boxes that matched no true box.</param>
/// <param name="File">The drawing (PNG), relative to the report folder.</param>
public sealed record DetectionExample(string Kind, string Id, int TrueMarks, int Missed, int FalseMarks, string File);
