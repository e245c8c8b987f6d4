using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using VgtData.Images;

namespace VgtData.Tests.Images;

/// <summary>How the optional native libraries (TurboJPEG, libdeflate) are found, switched off and switched per thread.</summary>
[Collection(nameof(SerialJpegCollection))]
public sealed class NativeLibraryLoadTests
{
    private static bool Loadable(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    [Fact]
    public void TheSettingZeroSwitchesEitherLibraryOff()
    {
        Assert.Null(TurboJpeg.Load("0", TurboJpeg.LibraryName));
        Assert.Null(Libdeflate.Load("0", Libdeflate.LibraryName));
    }

    [Fact]
    public void AnAbsentLibraryIsNotAvailable()
    {
        Assert.Null(TurboJpeg.Load(null, "libvgtdata-absent.so.0"));
        Assert.Null(Libdeflate.Load(null, "libvgtdata-absent.so.0"));
    }

    [SkippableFact]
    public void TurboJpegGivesItsEntryPointsAndScalingFactors()
    {
        Skip.IfNot(Loadable(TurboJpeg.LibraryName), "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0)");
        foreach (var setting in new string?[] { null, "", "1" })
        {
            var api = TurboJpeg.Load(setting, TurboJpeg.LibraryName);
            Assert.NotNull(api);
            Assert.NotEqual(IntPtr.Zero, api.Init);
            Assert.NotEqual(IntPtr.Zero, api.Decompress);
            Assert.NotEqual(IntPtr.Zero, api.Destroy);
            Assert.Equal(3, new[] { api.Init, api.Decompress, api.Destroy }.Distinct().Count());
            // libjpeg-turbo's factors, largest first: the order DecodesAtScale relies on.
            Assert.Equal(
                [(2, 1), (15, 8), (7, 4), (13, 8), (3, 2), (11, 8), (5, 4), (9, 8), (1, 1), (7, 8), (3, 4), (5, 8), (1, 2), (3, 8), (1, 4), (1, 8)],
                api.ScalingFactors);
        }
    }

    [SkippableFact]
    public void LibdeflateGivesItsEntryPoints()
    {
        Skip.IfNot(Loadable(Libdeflate.LibraryName), "libdeflate.so.0 is not installed (Debian: libdeflate0)");
        var api = Libdeflate.Load("1", Libdeflate.LibraryName);
        Assert.NotNull(api);
        Assert.Equal(3, new[] { api.Alloc, api.ZlibDecompress, api.Free }.Where(p => p != IntPtr.Zero).Distinct().Count());
    }

    [SkippableFact]
    public void ALibraryWithoutTheEntryPointsIsNotUsed()
    {
        Skip.IfNot(Loadable(TurboJpeg.LibraryName) && Loadable(Libdeflate.LibraryName), "needs libturbojpeg.so.0 and libdeflate.so.0");
        Assert.Null(TurboJpeg.Load(null, Libdeflate.LibraryName));
        Assert.Null(Libdeflate.Load(null, TurboJpeg.LibraryName));
    }

    [Fact]
    public void LibvipsLoadsFromItsPackageOnLinuxX64()
    {
        // NetVips.Native.linux-x64 bundles libvips: failing to load it there is a packaging fault, not a missing extra.
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        Assert.True(LibjpegTurboDecoder.IsAvailable, LibjpegTurboDecoder.UnavailableReason);
        Assert.Null(LibjpegTurboDecoder.UnavailableReason);
    }

    [Fact]
    public void AvailabilityFollowsTheSystemAndTheSetting()
    {
        Assert.Equal(TurboJpeg.Load(Environment.GetEnvironmentVariable("VGTDATA_TURBOJPEG"), TurboJpeg.LibraryName) != null, TurboJpeg.IsAvailable);
        Assert.Equal(Libdeflate.Load(Environment.GetEnvironmentVariable("VGTDATA_LIBDEFLATE"), Libdeflate.LibraryName) != null, Libdeflate.IsAvailable);
    }

    [Fact]
    public void EnabledIsSetPerThreadAndNeverBeyondAvailability()
    {
        var seen = new List<(bool Default, bool Off, bool On, bool DeflateDefault, bool DeflateOff, bool DeflateOn)>();
        var thread = new Thread(() =>
        {
            bool d = TurboJpeg.Enabled, dd = Libdeflate.Enabled;
            TurboJpeg.Enabled = false;
            Libdeflate.Enabled = false;
            bool off = TurboJpeg.Enabled, deflateOff = Libdeflate.Enabled;
            TurboJpeg.Enabled = true;
            Libdeflate.Enabled = true;
            seen.Add((d, off, TurboJpeg.Enabled, dd, deflateOff, Libdeflate.Enabled));
            TurboJpeg.Enabled = false;   // this thread only
            Libdeflate.Enabled = false;
        });
        thread.Start();
        thread.Join();
        Assert.Equal((TurboJpeg.IsAvailable, false, TurboJpeg.IsAvailable, Libdeflate.IsAvailable, false, Libdeflate.IsAvailable), seen.Single());
        var other = new Thread(() => seen.Add((TurboJpeg.Enabled, false, false, Libdeflate.Enabled, false, false)));
        other.Start();
        other.Join();
        Assert.Equal((TurboJpeg.IsAvailable, Libdeflate.IsAvailable), (seen[1].Default, seen[1].DeflateDefault));
    }

    [SkippableFact]
    public void TurboJpegDecodesIntoABufferOfExactlyTheImagesSize()
    {
        Skip.IfNot(TurboJpeg.IsAvailable, "libturbojpeg.so.0 is not installed (Debian: libturbojpeg0)");
        using var source = new Image<Rgb24>(20, 12, new Rgb24(200, 40, 90));
        var ms = new MemoryStream();
        source.SaveAsJpeg(ms, new JpegEncoder { Quality = 95 });
        var jpeg = ms.ToArray();
        var exact = new byte[20 * 12 * 3];
        Assert.True(TurboJpeg.Decode(jpeg, exact, 20, 12));
        for (int i = 0; i < exact.Length; i += 3)
            Assert.True(Math.Abs(exact[i] - 200) <= 3 && Math.Abs(exact[i + 1] - 40) <= 3 && Math.Abs(exact[i + 2] - 90) <= 3, $"pixel {i / 3}");
        var e = Assert.Throws<ArgumentException>(() => TurboJpeg.Decode(jpeg, new byte[20 * 12 * 3 - 1], 20, 12));
        Assert.StartsWith("20x12 RGB needs 720 bytes, the buffer has 719", e.Message);
        Assert.Equal("pixels", e.ParamName);
        // Half size: 10x6.
        var half = new byte[10 * 6 * 3];
        Assert.True(TurboJpeg.Decode(jpeg, half, 10, 6));
        Assert.InRange(half[0], (byte)197, (byte)203);
    }
}
