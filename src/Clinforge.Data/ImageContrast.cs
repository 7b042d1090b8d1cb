using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Prepares an image's contrast as a recipe names it (<see cref="ContrastModes"/>), on the image's own
/// pixels before it is letterboxed: training, validation, the test look and every runtime of a package
/// go through here, so a model always sees pixels prepared as in training.
/// </summary>
public static class ImageContrast
{
    /// <summary>The image prepared per <paramref name="mode"/> (the same instance for <see cref="ContrastModes.None"/>).</summary>
    public static RawImage Prepare(RawImage image, string mode)
    {
        ArgumentNullException.ThrowIfNull(image);
        return mode switch
        {
            ContrastModes.None => image,
            ContrastModes.Clahe => Clahe.Apply(image),
            _ => throw new ClinforgeException($"contrast '{mode}' is not one of {string.Join(", ", ContrastModes.All)}"),
        };
    }

    /// <summary>
    /// What a runtime outside Clinforge must do to an image before the model reads it, in words (for the
    /// ONNX metadata and the model card); empty for <see cref="ContrastModes.None"/>.
    /// </summary>
    public static string Describe(string mode) => mode switch
    {
        ContrastModes.Clahe => $"equalise each channel with CLAHE (contrast-limited adaptive histogram equalisation, Zuiderveld 1994: {Clahe.DefaultTiles}x{Clahe.DefaultTiles} tiles over the image, histograms clipped at {Clahe.DefaultClipLimit:0.#} times the uniform bin height with the excess spread evenly, bilinear blending between tile centres) on the image's own pixels before letterboxing",
        _ => "",
    };
}
