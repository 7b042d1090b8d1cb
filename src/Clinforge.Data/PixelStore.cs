using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using Clinforge.Core;

namespace Clinforge.Data;

/// <summary>
/// Images decoded once at the working resolution, kept as bytes [N, C, S, S] (one byte per value, the
/// value × 255 rounded): in memory for a small set, or in a file mapped into memory, so that a set
/// larger than memory (25,000 dermoscopy images at 224 px are 3.8 GB as bytes, 15 GB as floats) is
/// paged in by the operating system as batches touch it, and trials of one run share one copy.
/// </summary>
/// <remarks>
/// One byte per value is the precision images have on disk; the resize to the working resolution
/// produces in-between values, rounded here to the nearest 1/255 (at most 0.5/255 off), as data
/// loaders that keep uint8 images do (torchvision, DALI).
/// </remarks>
public sealed class PixelStore : IDisposable
{
    /// <summary>File header: magic, then count, channels and size as int32, padded to <see cref="HeaderBytes"/>.</summary>
    public const int HeaderBytes = 64;

    private static readonly byte[] s_magic = Encoding.ASCII.GetBytes("CFPIX001");

    private readonly byte[]? _memory;
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;

    private PixelStore(int count, int channels, int size, byte[]? memory, MemoryMappedFile? file, MemoryMappedViewAccessor? view, string? path)
    {
        Count = count;
        Channels = channels;
        Size = size;
        _memory = memory;
        _file = file;
        _view = view;
        FilePath = path;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Channels per image (1 or 3).</summary>
    public int Channels { get; }

    /// <summary>Side of the square images, in pixels.</summary>
    public int Size { get; }

    /// <summary>Bytes per image: channels × size × size.</summary>
    public long BytesPerImage => (long)Channels * Size * Size;

    /// <summary>The mapped file, or null for a store held in memory.</summary>
    public string? FilePath { get; }

    /// <summary>True when the bytes live in a memory-mapped file.</summary>
    public bool IsMapped => _view is not null;

    /// <summary>A store over bytes already in memory, [count, channels, size, size].</summary>
    public static PixelStore InMemory(byte[] data, int count, int channels, int size)
    {
        ArgumentNullException.ThrowIfNull(data);
        Check(count, channels, size);
        if (data.LongLength != (long)count * channels * size * size)
            throw new ArgumentException($"{data.LongLength} bytes for {count} images of {channels}x{size}x{size}", nameof(data));
        return new PixelStore(count, channels, size, data, null, null, null);
    }

    /// <summary>A store over values in [0, 1] (rounded to bytes), [count, channels, size, size].</summary>
    public static PixelStore FromUnitFloats(ReadOnlySpan<float> values, int count, int channels, int size)
    {
        Check(count, channels, size);
        var data = new byte[values.Length];
        Quantise(values, data);
        return InMemory(data, count, channels, size);
    }

    /// <summary>Rounds values in [0, 1] to bytes (value × 255, nearest; clamped).</summary>
    public static void Quantise(ReadOnlySpan<float> values, Span<byte> destination)
    {
        if (destination.Length != values.Length) throw new ArgumentException("lengths differ", nameof(destination));
        for (int i = 0; i < values.Length; i++)
            destination[i] = (byte)Math.Clamp(MathF.Round(values[i] * 255f), 0f, 255f);
    }

    /// <summary>
    /// Creates a mapped store file at <paramref name="path"/> for <paramref name="count"/> images, calls
    /// <paramref name="fill"/> to write them (it gets a writer taking an image index and its bytes; it may
    /// write from several threads), and publishes the file by a rename only when every image is written,
    /// so a killed writer never leaves a file that looks complete. With <paramref name="path"/> null the
    /// file is anonymous: created in the temporary folder and unlinked once mapped.
    /// </summary>
    public static PixelStore Create(string? path, int count, int channels, int size, Action<Action<int, ReadOnlySpan<byte>>> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        Check(count, channels, size);
        long per = (long)channels * size * size;
        long length = HeaderBytes + per * count;
        var temp = path is null
            ? Path.Combine(Path.GetTempPath(), $"clinforge-pixels-{Guid.NewGuid():N}.tmp")
            : $"{path}.{Guid.NewGuid():N}.tmp";
        if (path is not null) Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                stream.SetLength(length);
                using var map = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
                using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
                var handle = view.SafeMemoryMappedViewHandle;
                Span<byte> header = stackalloc byte[HeaderBytes];
                header.Clear();
                s_magic.CopyTo(header);
                MemoryMarshal.Write(header[8..], count);
                MemoryMarshal.Write(header[12..], channels);
                MemoryMarshal.Write(header[16..], size);
                handle.WriteSpan((ulong)view.PointerOffset, (ReadOnlySpan<byte>)header);
                fill((index, bytes) =>
                {
                    if ((uint)index >= (uint)count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the store holds {count} images");
                    if (bytes.Length != per) throw new ArgumentException($"{bytes.Length} bytes for an image of {per}", nameof(bytes));
                    handle.WriteSpan((ulong)(view.PointerOffset + HeaderBytes + index * per), bytes);
                });
                view.Flush();
            }
            if (path is null)
            {
                var store = Open(temp);
                File.Delete(temp); // the mapping keeps the data alive; nothing is left behind after a crash
                return store;
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another trial published the same images meanwhile: theirs is as good as ours.
                FileCleanup.TryDelete(temp);
            }
            return Open(path);
        }
        catch (IOException e)
        {
            FileCleanup.TryDelete(temp);
            throw new ClinforgeException($"{path ?? temp}: could not write the image cache ({e.Message}). Free disk space or choose another run folder.");
        }
        catch
        {
            FileCleanup.TryDelete(temp);
            throw;
        }
    }

    /// <summary>Maps an existing store file read-only; throws <see cref="InvalidDataException"/> when it is not a complete store.</summary>
    public static PixelStore Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < HeaderBytes) throw new InvalidDataException($"{path}: {length} bytes, shorter than the header");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            Span<byte> header = stackalloc byte[HeaderBytes];
            view.SafeMemoryMappedViewHandle.ReadSpan((ulong)view.PointerOffset, header);
            if (!header[..8].SequenceEqual(s_magic)) throw new InvalidDataException($"{path}: not a Clinforge image cache");
            int count = MemoryMarshal.Read<int>(header[8..]), channels = MemoryMarshal.Read<int>(header[12..]), size = MemoryMarshal.Read<int>(header[16..]);
            if (count < 0 || channels is not (1 or 3) || size <= 0)
                throw new InvalidDataException($"{path}: header says {count} images of {channels}x{size}x{size}");
            if (length != HeaderBytes + (long)count * channels * size * size)
                throw new InvalidDataException($"{path}: {length} bytes, expected {HeaderBytes + (long)count * channels * size * size} for {count} images of {channels}x{size}x{size}");
            return new PixelStore(count, channels, size, null, file, view, path);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Copies image <paramref name="index"/> into <paramref name="destination"/> (length <see cref="BytesPerImage"/>).</summary>
    public void Read(int index, Span<byte> destination)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the store holds {Count} images");
        long per = BytesPerImage;
        if (destination.Length != per) throw new ArgumentException($"{destination.Length} bytes for an image of {per}", nameof(destination));
        if (_memory is not null) _memory.AsSpan((int)(index * per), (int)per).CopyTo(destination);
        else
        {
            ObjectDisposedException.ThrowIf(_view is null, this);
            _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(_view.PointerOffset + HeaderBytes + index * per), destination);
        }
    }

    /// <summary>Copies the images at <paramref name="indices"/>, one after another, into <paramref name="destination"/>.</summary>
    public void Gather(ReadOnlySpan<long> indices, Span<byte> destination)
    {
        long per = BytesPerImage;
        if (destination.Length != indices.Length * per) throw new ArgumentException($"{destination.Length} bytes for {indices.Length} images of {per}", nameof(destination));
        for (int k = 0; k < indices.Length; k++) Read(checked((int)indices[k]), destination.Slice((int)(k * per), (int)per));
    }

    /// <summary>The image at <paramref name="index"/> as values in [0, 1], CHW.</summary>
    public float[] ReadUnit(int index)
    {
        var bytes = new byte[BytesPerImage];
        Read(index, bytes);
        var result = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) result[i] = bytes[i] / 255f;
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _view?.Dispose();
        _file?.Dispose();
    }

    private static void Check(int count, int channels, int size)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "size must be positive");
    }
}
