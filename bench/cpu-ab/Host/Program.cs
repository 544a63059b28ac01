// In-process A/B of BytePiece Viterbi builds: each build is loaded into its own AssemblyLoadContext and the builds
// take turns on every model and text, timed by thread CPU time (bench/cpu-ab.sh builds and runs it).
using System.Reflection;
using System.Runtime.Loader;
// usage: Host KERNELDLL ROUNDS REPS NAME=BINDIR...   (models in $BYTEPIECE_TEST_DATA/models/bytepiece, texts in /tmp/bytepiece-ab)
string kernel = args[0]; int rounds = int.Parse(args[1]); int reps = int.Parse(args[2]);
var builds = args.Skip(3).Select(a => a.Split('=')).Select(p => (Name: p[0], Run: Load(Path.GetFullPath(p[1])))).ToList();
string shared = Environment.GetEnvironmentVariable("BYTEPIECE_TEST_DATA")!;
string[] models = ["bytepiece.eu.plus.40k.model", "bytepiece.eu.plus.160k.model"];
string[] corpora = ["mixed", "zh", "en", "code"];
var texts = corpora.ToDictionary(c => c, c => File.ReadAllBytes(Path.Combine(Environment.GetEnvironmentVariable("BENCH_TEXT_DIR") ?? "/tmp/bytepiece-ab", c + ".txt")));
var results = new Dictionary<(string, string, string), List<double>>();
for (int round = 1; round <= rounds; round++)
    foreach (string m in models)
        foreach (string c in corpora)
        {
            long? sum0 = null;
            foreach (var b in builds)
            {
                object?[] a = [Path.Combine(shared, "models/bytepiece", m), texts[c], reps, 0L];
                double s = (double)b.Run.Invoke(null, a)!;
                long sum = (long)a[3]!;
                if (sum0 is long s0 && s0 != sum) Console.WriteLine($"!! ids differ: {b.Name} {m} {c}");
                sum0 = sum;
                double mbs = texts[c].Length / 1e6 / s;
                if (!results.TryGetValue((m, c, b.Name), out var l)) results[(m, c, b.Name)] = l = [];
                l.Add(mbs);
                Console.WriteLine($"round {round} {m[18..^6],-5} {c,-6} {b.Name,-10} {mbs,7:F1} MB/s cpu");
            }
        }
Console.WriteLine("== summary: median CPU MB/s; ratio to first build per round: median (min-max)");
double logSum = 0; int logN = 0;
foreach (string m in models) foreach (string c in corpora)
{
    string line = $"{m[18..^6],-5} {c,-6}";
    var baseL = results[(m, c, builds[0].Name)];
    foreach (var b in builds)
    {
        var l = results[(m, c, b.Name)];
        var r = l.Zip(baseL, (x, y) => x / y).OrderBy(x => x).ToList();
        line += $" | {b.Name} {Median(l),6:F1}" + (b == builds[0] ? "" : $" x{Median(r):F2} ({r[0]:F2}-{r[^1]:F2})");
        if (b == builds[^1] && b != builds[0]) { logSum += Math.Log(Median(r)); logN++; }
    }
    Console.WriteLine(line);
}
Console.WriteLine($"geomean of medians, last vs first: {Math.Exp(logSum / logN):F3}");
static double Median(List<double> l) { var s = l.OrderBy(x => x).ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
MethodInfo Load(string dir)
{
    var alc = new Ctx(dir);
    var asm = alc.LoadFromAssemblyPath(Path.GetFullPath(kernel));
    return asm.GetType("Kernel")!.GetMethod("Run")!;
}
class Ctx(string dir) : AssemblyLoadContext(null, false)
{
    protected override Assembly? Load(AssemblyName n)
    {
        string p = Path.Combine(dir, n.Name + ".dll");
        return !n.Name!.StartsWith("System") && File.Exists(p) ? LoadFromAssemblyPath(p) : null;
    }
}
