using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using VgtData.Images;
using VgtData.Tests.Fixtures;

namespace VgtData.Tests.Images;

/// <summary>ICO files, which Pillow 9.4 opens (the largest icon), against its <c>convert('RGB')</c> (Debian's python3-pil,
/// on these bytes: SHA-256 of its pixels, first 16 hex digits), and refused where Pillow refuses them.</summary>
public sealed class IcoTests
{
    /// <summary>An ICO of two icons: 32x32 and 96x96 (listed second), each a PNG or a bitmap with its AND mask.</summary>
    internal static byte[] Ico(bool png)
    {
        byte[] Icon(int side)
        {
            using var image = TestImages.Noise(side, side, seed: side);
            using var ms = new MemoryStream();
            if (png)
            {
                image.SaveAsPng(ms);
                return ms.ToArray();
            }
            image.SaveAsBmp(ms, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
            var dib = ms.ToArray()[14..];
            BinaryPrimitives.WriteInt32LittleEndian(dib.AsSpan(8), side * 2);   // the DIB counts the mask's rows too
            return [.. dib, .. new byte[(side + 31) / 32 * 4 * side]];
        }
        var icons = new[] { Icon(32), Icon(96) };
        var ico = new List<byte> { 0, 0, 1, 0, 2, 0 };
        int offset = 6 + 16 * icons.Length;
        foreach (var (icon, side) in icons.Zip(new[] { 32, 96 }))
        {
            var entry = new byte[16];
            entry[0] = entry[1] = (byte)side;
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(4), 1);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(6), png ? (ushort)32 : (ushort)24);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(8), icon.Length);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(12), offset);
            ico.AddRange(entry);
            offset += icon.Length;
        }
        foreach (var icon in icons) ico.AddRange(icon);
        return ico.ToArray();
    }

    /// <summary>Each ICO whole, cut in half and without its last byte: Pillow 9.4's verdict, and ours. One deviation: the
    /// PNG icon missing the last byte of its IEND checksum is served by Pillow (it never reads that checksum), refused
    /// here as cut short.</summary>
    public static TheoryData<bool, string, string, string> Cases() => new()
    {
        { true, "whole", "ok RGB (96, 96) 3322c6956cb91e59", "decoded" },
        { true, "half", "OSError: image file is truncated", "truncated" },
        { true, "-1", "ok RGB (96, 96) 3322c6956cb91e59", "truncated" },
        { false, "whole", "ok RGBA (96, 96) 3322c6956cb91e59", "decoded" },
        { false, "half", "ValueError: not enough image data", "truncated" },
        { false, "-1", "ValueError: not enough image data", "truncated" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheLargestIconIsPillowsOrRefusedAsPillowRefusesIt(bool png, string cut, string pillow, string ours)
    {
        var ico = Ico(png);
        var bytes = cut switch { "whole" => ico, "half" => ico[..(ico.Length / 2)], _ => ico[..^1] };
        var decoder = ImageDecoder.Shared;
        if (ours == "decoded")
        {
            Assert.Equal((96, 96), decoder.ReadSize(bytes, "x.ico"));
            using var image = decoder.Decode(bytes, "x.ico", ImageLimits.Default);
            var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(JpegRoute.Pixels(image))).ToLowerInvariant();
            Assert.EndsWith($"(96, 96) {sha[..16]}", pillow);
            return;
        }
        var e = Assert.Throws<SampleException>(() => decoder.Decode(bytes, "x.ico", ImageLimits.Default).Dispose());
        Assert.Equal(SampleFailureReason.Truncated, e.Reason);
    }
}
