using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>Overrides for what the CSV reader would otherwise detect on its own.</summary>
/// <param name="ImageColumn">Column naming the image files.</param>
/// <param name="LabelColumn">Column holding the class.</param>
/// <param name="GroupColumn">Column grouping items (patient, lesion) that must stay in one split.</param>
public sealed record DatasetOptions(string? ImageColumn = null, string? LabelColumn = null, string? GroupColumn = null);

/// <summary>
/// Opens a dataset from a path, choosing the reader from what is there:
/// a .npz file → MedMNIST arrays; a .csv file, or a folder holding exactly one .csv → CSV of images and
/// labels; a folder of train/val/test folders each holding class folders → folders with an official
/// split; a folder of class folders → one class per subfolder; images/ beside a folder of masks (or
/// train/val/test folders holding such pairs) → segmentation pairs; images/ beside labels/ of box files
/// or a COCO file → detection.
/// </summary>
public static class DatasetReader
{
    /// <summary>Opens the dataset at <paramref name="path"/>; DICOM (.dcm) and NIfTI (.nii, .nii.gz) files count as images (see <see cref="MedicalFiles"/>); bad input gives a <see cref="ClinforgeException"/> saying what to do.</summary>
    public static Dataset Open(string path) => Open(path, new DatasetOptions());

    /// <summary>Opens the dataset with column overrides for CSV input.</summary>
    public static Dataset Open(string path, DatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(path)) throw new ClinforgeException("No dataset path given. Pass a folder, a CSV file or a .npz file.");
        var full = Path.GetFullPath(path);

        if (File.Exists(full))
        {
            var ext = Path.GetExtension(full).ToLowerInvariant();
            if (ext == ".npz") return NpzReader.Read(full);
            if (ext is ".csv" or ".tsv") return CsvDatasetReader.Read(full, options);
            if (ImageFiles.HasImageExtension(full))
            {
                throw new ClinforgeException($"{full}: this is a single image. Point at the dataset instead: a folder with one subfolder per class, a CSV file listing images and labels, or a .npz file.");
            }
            throw new ClinforgeException($"{full}: unsupported dataset file type '{ext}'. Use a folder with one subfolder per class, a CSV file listing images and labels, or a MedMNIST .npz file.");
        }
        if (!Directory.Exists(full))
        {
            throw new ClinforgeException($"{full}: no such file or folder. Check the path.");
        }

        // Segmentation layouts (images/ beside a folder of mask images) before detection, whose labels/
        // holds text files where a segmentation dataset's holds images.
        if (SegmentationReader.Looks(full)) return SegmentationReader.Read(full);

        // Detection layouts (images/ + labels/ or COCO JSON, possibly inside split folders) come first:
        // their split folders would otherwise read as classification folders named images and labels.
        if (DetectionReader.Looks(full)) return DetectionReader.Read(full);

        var csvs = Directory.EnumerateFiles(full, "*.csv")
            .Where(f => !ImageFiles.IsHidden(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (csvs.Count == 1) return CsvDatasetReader.Read(csvs[0], options);

        var subdirs = ImageFiles.VisibleSubfolders(full);
        if (subdirs.Count > 0 && subdirs.All(d => FolderReader.SplitOf(Path.GetFileName(d)) is not null))
        {
            return FolderReader.ReadSplitFolders(full, subdirs);
        }
        if (subdirs.Count > 0 && subdirs.Any(d => ImageFiles.EnumerateImages(d, full, []).Count > 0))
        {
            // With several CSVs beside class folders, the folders are the labels and the CSVs metadata.
            return FolderReader.ReadClassFolders(full, subdirs);
        }
        if (csvs.Count > 1)
        {
            throw new ClinforgeException($"{full}: found {csvs.Count} CSV files ({string.Join(", ", csvs.Select(Path.GetFileName))}). Pass the one that lists images and labels.");
        }
        var topImages = Directory.EnumerateFiles(full).Count(f => !ImageFiles.IsHidden(Path.GetFileName(f)) && ImageFiles.HasImageExtension(f));
        if (topImages > 0)
        {
            throw new ClinforgeException($"{full}: {topImages} images but no labels. Put the images in one subfolder per class (e.g. {Path.Combine(full, "melanoma")}, {Path.Combine(full, "nevus")}), or add a CSV with an image column and a label column.");
        }
        throw new ClinforgeException($"{full}: no images found. Put the images in one subfolder per class (e.g. {Path.Combine(full, "melanoma", "img1.png")}), or add a CSV with an image column and a label column.");
    }
}
