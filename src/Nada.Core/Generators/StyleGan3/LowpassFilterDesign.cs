using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// StyleGAN3's low-pass filters (NVIDIA's <c>SynthesisLayer.design_lowpass_filter</c>): a separable Kaiser-windowed
/// sinc designed like <c>scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)</c>, or a radially symmetric
/// jinc with the same Kaiser window in both axes, normalised to sum 1. Computed in float64, returned as float32.
/// A loaded generator keeps the filters its file stores; these make the filters of a freshly built one.
/// </summary>
public static class LowpassFilterDesign
{
    /// <summary>
    /// The filter for <paramref name="numTaps"/> taps, or null when <paramref name="numTaps"/> is 1 (identity).
    /// </summary>
    /// <param name="numTaps">Filter length.</param>
    /// <param name="cutoff">Cutoff frequency (same unit as <paramref name="fs"/>).</param>
    /// <param name="width">Transition band width (twice the half-width).</param>
    /// <param name="fs">Sampling rate the filter runs at.</param>
    /// <param name="radial">Radial 2-D jinc filter [numTaps, numTaps] instead of a separable 1-D one [numTaps].</param>
    public static Tensor? Design(int numTaps, double cutoff, double width, double fs, bool radial = false)
    {
        if (numTaps < 1) throw new ArgumentOutOfRangeException(nameof(numTaps), numTaps, "A filter needs at least one tap.");
        if (numTaps == 1) return null;
        double nyquist = fs / 2;
        double beta = KaiserBeta(KaiserAttenuation(numTaps, width / nyquist));
        var window = Kaiser(numTaps, beta);
        if (!radial)
        {
            // firwin: ideal low-pass (sinc) times the window, scaled to unit gain at DC.
            double fc = cutoff / nyquist, alpha = 0.5 * (numTaps - 1), sum = 0;
            var h = new double[numTaps];
            for (int i = 0; i < numTaps; i++)
            {
                h[i] = fc * Sinc(fc * (i - alpha)) * window[i];
                sum += h[i];
            }
            return tensor(h.Select(v => (float)(v / sum)).ToArray());
        }
        var f = new double[numTaps * numTaps];
        double total = 0;
        for (int i = 0; i < numTaps; i++)
        {
            for (int j = 0; j < numTaps; j++)
            {
                double y = (i - (numTaps - 1) / 2.0) / fs, x = (j - (numTaps - 1) / 2.0) / fs;
                double r = Math.Sqrt(x * x + y * y);
                // jinc: J1(2 pi fc r) / (pi r); its limit at r = 0 is fc (only reached with an odd tap count).
                double v = r == 0 ? cutoff : BesselJ1(2 * cutoff * Math.PI * r) / (Math.PI * r);
                f[i * numTaps + j] = v * window[i] * window[j];
                total += f[i * numTaps + j];
            }
        }
        return tensor(f.Select(v => (float)(v / total)).ToArray()).reshape(numTaps, numTaps);
    }

    /// <summary>scipy.signal.kaiser_atten: attenuation (dB) of a Kaiser FIR filter of that length and width (in units of Nyquist).</summary>
    internal static double KaiserAttenuation(int numTaps, double width) => 2.285 * (numTaps - 1) * Math.PI * width + 7.95;

    /// <summary>scipy.signal.kaiser_beta: the Kaiser window's beta for an attenuation in dB.</summary>
    internal static double KaiserBeta(double a) =>
        a > 50 ? 0.1102 * (a - 8.7) : a > 21 ? 0.5842 * Math.Pow(a - 21, 0.4) + 0.07886 * (a - 21) : 0.0;

    /// <summary>The symmetric Kaiser window (numpy.kaiser).</summary>
    internal static double[] Kaiser(int m, double beta)
    {
        var w = new double[m];
        if (m == 1) { w[0] = 1; return w; }
        double alpha = (m - 1) / 2.0, i0Beta = BesselI0(beta);
        for (int n = 0; n < m; n++)
        {
            double t = (n - alpha) / alpha;
            w[n] = BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - t * t))) / i0Beta;
        }
        return w;
    }

    /// <summary>Normalised sinc, sin(pi x) / (pi x).</summary>
    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    /// <summary>Modified Bessel function of the first kind, order 0 (power series; converges for every x).</summary>
    internal static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 500; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return sum;
    }

    /// <summary>
    /// Bessel function of the first kind, order 1, from Bessel's integral J1(x) = 1/(2 pi) * integral over a period of
    /// cos(t - x sin t); the trapezoid rule on a periodic integrand converges exponentially once the point count
    /// exceeds |x|, so 64 + 2|x| points give double precision.
    /// </summary>
    internal static double BesselJ1(double x)
    {
        int points = 64 + 2 * (int)Math.Ceiling(Math.Abs(x));
        double sum = 0;
        for (int j = 0; j < points; j++)
        {
            double t = 2 * Math.PI * j / points;
            sum += Math.Cos(t - x * Math.Sin(t));
        }
        return sum / points;
    }
}
