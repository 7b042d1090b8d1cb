namespace Clinforge.Data;

/// <summary>
/// Where one image's mask values come from: a 2-D mask image, or one slice of a label-map volume
/// (NIfTI) cut along the same axis as its image volume.
/// </summary>
/// <param name="File">The mask file.</param>
/// <param name="Axis">For a volume, the slicing axis (0 sagittal, 1 coronal, 2 axial); −1 for a 2-D mask.</param>
/// <param name="Slice">For a volume, the slice index along <paramref name="Axis"/>; −1 for a 2-D mask.</param>
internal sealed record MaskLocation(string File, int Axis = -1, int Slice = -1)
{
    /// <summary>Whether the mask is a slice of a volume.</summary>
    public bool IsSlice => Slice >= 0;

    /// <summary>The file, and the slice when there is one, for messages.</summary>
    public override string ToString() => IsSlice ? $"{File} ({NiftiVolume.AxisName(Axis)} slice {Slice})" : File;
}
