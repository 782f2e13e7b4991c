namespace Nada.Core.Tests;

/// <summary>The device report admins see.</summary>
public sealed class DeviceStatusTests
{
    [Fact]
    public void ReportsTheEngineDeviceAndAMemoryReading()
    {
        var status = DeviceStatus.Read();
        Assert.Equal(EngineDevice.Default.ToString(), status.Device);
        if (EngineDevice.Default.type == TorchSharp.DeviceType.CPU)
        {
            Assert.Null(status.GpuName);
            Assert.True(status.MemoryUsedBytes > 10L * 1024 * 1024, $"process working set {status.MemoryUsedBytes}");
            Assert.Contains("working set", status.MemorySource);
        }
        else
        {
            Assert.True(status.CudaDevices > 0);
            Assert.StartsWith("cuda", status.Device, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(status.MemorySource));
        }
    }
}
