#!/usr/bin/python3
"""The peer comparison behind bench/compare.sh (run that: it installs the peers and builds first).

One machine, one run, the same text files and models for every side, one thread each:
  * SentencePiece: a 32k Unigram model trained here by spm_train on the zh text, and the tokenizer.json
    our CLI converts it to. Ours (CLI, whole process; in-process through BenchmarkDotNet) against
    spm_encode (whole process), python3-sentencepiece (in-process, Viterbi and sampling alpha=0.1) and
    HuggingFace tokenizers (the Node binding, in-process) and Microsoft.ML.Tokenizers 3.0.0's
    SentencePieceTokenizer (in-process, BenchmarkDotNet). Outputs must be identical: token counts are
    compared and the ids of ours and spm_encode are compared byte for byte; ML.Tokenizers' mismatching lines
    against spm_encode are counted and sorted by cause (bench/ml-peer.sh does more models).
  * BytePiece models (upstream's 40k and 160k): ours, CLI and in-process; the ratio is against
    spm_encode on the same text (another model: an engine-speed comparison, labelled so).
  * Two threads: ours on a bigger file (the mixed text repeated) to bin32 with 1 and 2 threads, and
    spm_encode on the same file.
Prints markdown tables (also written to WORK/compare.md). Standard library only.
"""
import argparse
import glob
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = ["mixed", "zh", "en", "code"]
CLI = os.path.join(ROOT, "src/Tokenizer.Cli/bin/Release/net10.0/bytepiece.dll")
BENCH = os.path.join(ROOT, "bench/Tokenizer.Bench/bin/Release/net10.0/Tokenizer.Bench.dll")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd, stdin=None, stdout=None, env=None, repeats=3):
    """Best wall time (s) of `repeats` runs and the largest peak RSS (MB) of the process, from wait4."""
    best, rss = float("inf"), 0
    for _ in range(repeats):
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin, \
                open(stdout, "wb") if stdout else open(os.devnull, "wb") as fout, \
                tempfile.TemporaryFile() as ferr:
            start = time.perf_counter()
            process = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, env=env)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                ferr.seek(0)
                sys.exit(f"failed ({process.returncode}): {' '.join(cmd)}\n{ferr.read().decode(errors='replace')}")
        best = min(best, elapsed)
        rss = max(rss, usage.ru_maxrss / 1024)
    return best, rss


def concurrent(commands):
    """Wall time until the last of the commands, started together, ends."""
    start = time.perf_counter()
    processes = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]
    for p in processes:
        if p.wait() != 0:
            sys.exit(f"failed: {' '.join(p.args)}")
    return time.perf_counter() - start


def count_words(path):
    with open(path, "rb") as f:
        return sum(len(line.split()) for line in f)


def prepare(args):
    work = args.work
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, BENCH_TEXT_DIR=work)
    if not all(os.path.exists(f"{work}/{c}.txt") for c in CORPORA):
        log("writing the benchmark texts (4 MiB of each shared corpus; mixed = the three interleaved by line)")
        subprocess.run(["dotnet", BENCH, "--texts", work], check=True, env=env)
    spm = f"{work}/spm32k-zh.model"
    if not os.path.exists(spm):
        log("training the 32k SentencePiece Unigram model on zh.txt with spm_train")
        subprocess.run(["spm_train", f"--input={work}/zh.txt", f"--model_prefix={work}/spm32k-zh", "--vocab_size=32000",
                        "--model_type=unigram", "--character_coverage=0.9995", f"--num_threads={os.cpu_count()}",
                        "--minloglevel=2"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hf = f"{work}/spm32k-zh.tokenizer.json"
    if not os.path.exists(hf):
        subprocess.run(["dotnet", CLI, "convert", "--model", spm, "--output", hf, "--to", "tokenizer.json"], check=True,
                       stdout=subprocess.DEVNULL)
    bpm = {}
    for size in ["40k", "160k"]:
        bpm[size] = f"{work}/eu.plus.{size}.bpm"
        if not os.path.exists(bpm[size]):
            subprocess.run(["dotnet", CLI, "convert", "--model", f"{args.shared}/models/bytepiece/bytepiece.eu.plus.{size}.model",
                            "--output", bpm[size]], check=True, stdout=subprocess.DEVNULL)
    big = f"{work}/mixed-big.txt"
    if not os.path.exists(big) or abs(os.path.getsize(big) - args.big_mb * 1e6) > args.big_mb * 1e6 * 0.1:
        data = open(f"{work}/mixed.txt", "rb").read()
        with open(big, "wb") as f:
            for _ in range(max(1, round(args.big_mb * 1e6 / len(data)))):
                f.write(data)
    return spm, hf, bpm, big


def benchmark_dotnet(args, spm, hf):
    """In-process figures through BenchmarkDotNet: {(class, method, model, corpus): MB/s}."""
    artifacts = f"{args.work}/bdn"
    env = dict(os.environ, BENCH_TEXT_DIR=args.work, BENCH_SPM_MODEL=spm, BENCH_TOKENIZER_JSON=hf)
    log("BenchmarkDotNet: EncodeBytes/SampleBytes (BytePiece 40k, 160k), SentencePieceBenchmarks and MlPeerBenchmarks (about 6 minutes)")
    for old in glob.glob(f"{artifacts}/results/*.json"):
        os.remove(old)
    subprocess.run(["dotnet", BENCH, "--filter", "*EncodeBenchmarks.EncodeBytes*", "*EncodeBenchmarks.SampleBytes*",
                    "*SentencePieceBenchmarks*", "*MlPeerBenchmarks*", "--launchCount", "1", "--warmupCount", "2", "--iterationCount", "5",
                    "--exporters", "json", "--artifacts", artifacts], check=True, env=env, stdout=subprocess.DEVNULL)
    sizes = {c: os.path.getsize(f"{args.work}/{c}.txt") for c in CORPORA}
    figures = {}
    for report in glob.glob(f"{artifacts}/results/*-report-full-compressed.json") + glob.glob(f"{artifacts}/results/*-report-full.json"):
        for b in json.load(open(report))["Benchmarks"]:
            params = dict(p.split("=", 1) for p in b["Parameters"].split("&"))
            model = params.get("Model", "spm32k-zh").replace("eu.plus.", "")
            mean_ns = b["Statistics"]["Mean"]
            figures[(b["Type"], b["Method"], model, params["Corpus"])] = sizes[params["Corpus"]] / 1e6 / (mean_ns / 1e9)
    return figures


def machine():
    cpu = re.search(r"^Model name:\s*(.*)$", subprocess.run(["lscpu"], capture_output=True, text=True).stdout, re.M)
    mem = re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read())
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    spm = subprocess.run(["/usr/bin/python3", "-c", "import sentencepiece; print(sentencepiece.__version__)"], capture_output=True, text=True).stdout.strip()
    hf = json.load(open(os.path.join(ROOT, "bench/hf-node/node_modules/tokenizers/package.json")))["version"]
    return (f"{cpu.group(1) if cpu else platform.processor()}, {os.cpu_count()} cores, {int(mem.group(1)) // 1024 // 1024} GiB; "
            f"{platform.system()} {platform.release()}; .NET SDK {dotnet}; sentencepiece {spm} (Debian); HF tokenizers {hf} (Node); "
            f"commit {commit}{' (with local changes)' if dirty else ''}; {time.strftime('%Y-%m-%d')}")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def fmt(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/bytepiece-compare")
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    parser.add_argument("--big-mb", type=float, default=64, help="size of the two-thread input in MB (the mixed text repeated)")
    parser.add_argument("--no-bdn", action="store_true", help="skip BenchmarkDotNet (in-process figures)")
    args = parser.parse_args()
    began = time.time()
    spm, hf, bpm, big = prepare(args)
    work = args.work
    sizes = {c: os.path.getsize(f"{work}/{c}.txt") for c in CORPORA}
    out = [f"Machine: {machine()}", "", f"Command: `bash bench/compare.sh` (texts: {', '.join(f'{c} {sizes[c] / 1e6:.2f} MB' for c in CORPORA)}; "
           "MB/s = 10^6 input bytes per second; whole-process figures are the best of 3 runs and include start-up, "
           "model load, reading and writing; in-process figures exclude the load)."]
    checks = []

    # ---- SentencePiece 32k (trained on zh) ----
    log("SentencePiece model: whole-process runs and peers")
    sp_rows = {}
    for c in CORPORA:
        text = f"{work}/{c}.txt"
        ours_ids, spm_ids, json_ids = f"{work}/ours-{c}.ids", f"{work}/spm-{c}.ids", f"{work}/json-{c}.ids"
        t_ours, m_ours = run(["dotnet", CLI, "encode", "--model", spm, "--threads", "1", "--quiet"], text, ours_ids)
        t_spm, m_spm = run(["spm_encode", f"--model={spm}", "--output_format=id"], text, spm_ids)
        t_json, m_json = run(["dotnet", CLI, "encode", "--model", hf, "--threads", "1", "--quiet"], text, json_ids)
        same = open(ours_ids, "rb").read() == open(spm_ids, "rb").read()
        checks.append(f"{c}: ours (.model) and spm_encode ids {'identical' if same else 'DIFFER'}")
        py = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench/peer_spm.py"), spm, text], capture_output=True, text=True, check=True).stdout
        m = re.search(r"([\d.]+) MB/s\s+(\d+) tokens.*sampling\s+([\d.]+) MB/s", py)
        node_env = dict(os.environ, RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
        node = subprocess.run(["node", os.path.join(ROOT, "bench/hf-node/peer.js"), "bench", hf, text], capture_output=True, text=True, check=True, env=node_env).stdout.split()
        sp_rows[c] = dict(t_ours=t_ours, m_ours=m_ours, n_ours=count_words(ours_ids), t_spm=t_spm, m_spm=m_spm, n_spm=count_words(spm_ids),
                          t_json=t_json, m_json=m_json, n_json=count_words(json_ids), py=float(m.group(1)), n_py=int(m.group(2)),
                          py_sample=float(m.group(3)), hf=sizes[c] / 1e6 / float(node[0]), n_hf=int(node[1]))
        r = sp_rows[c]
        checks.append(f"{c}: tokens ours {r['n_ours']:,}, spm_encode {r['n_spm']:,}, python3-sentencepiece {r['n_py']:,}"
                      f" ({'agree' if r['n_ours'] == r['n_spm'] == r['n_py'] else 'DISAGREE'}); tokenizer.json ours {r['n_json']:,},"
                      f" HF {r['n_hf']:,} ({'agree' if r['n_json'] == r['n_hf'] else 'DISAGREE'})")

    # ---- BytePiece models ----
    log("BytePiece models: whole-process runs")
    bp_rows = {}
    for size, model in bpm.items():
        for c in CORPORA:
            ids = f"{work}/bp{size}-{c}.ids"
            t, mem = run(["dotnet", CLI, "encode", "--model", model, "--threads", "1", "--quiet"], f"{work}/{c}.txt", ids)
            bp_rows[(size, c)] = dict(t=t, m=mem, n=count_words(ids))

    # ---- two threads ----
    log(f"two threads: {os.path.getsize(big) / 1e6:.0f} MB to bin32")
    threads = {}
    for n in (1, 2):
        t, mem = run(["dotnet", CLI, "encode", "--model", bpm["40k"], "--input", big, "--output", f"{work}/big.bin", "--format", "bin32",
                      "--threads", str(n), "--quiet"], repeats=2)
        threads[n] = (t, mem, os.path.getsize(f"{work}/big.bin") // 4)
    t_spm_big, m_spm_big = run(["spm_encode", f"--model={spm}", "--output_format=id"], big, f"{work}/big-spm.ids", repeats=1)
    # The machine's own bound for two cores: two independent one-thread processes at once (no coordination
    # at all); their aggregate speed-up over one alone is what shared caches and memory leave.
    pair = concurrent([["dotnet", CLI, "encode", "--model", bpm["40k"], "--input", big, "--output", f"{work}/big{k}.bin", "--format", "bin32",
                        "--threads", "1", "--quiet"] for k in (1, 2)])
    t_spm_small, _ = run(["spm_encode", f"--model={spm}", "--output_format=id"], f"{work}/mixed.txt", None, repeats=1)
    spm_pair = concurrent([["sh", "-c", f"spm_encode --model='{spm}' --output_format=id < '{work}/mixed.txt'"]] * 2)

    log("Microsoft.ML.Tokenizers against spm_encode, line by line")
    parity = subprocess.run(["dotnet", BENCH, "--ml-parity", spm] + [f"{work}/{c}.txt" for c in CORPORA], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    parity_rows = [line for line in parity if line.startswith("|")]
    for line in parity_rows:
        if line.split("|")[4].strip() != "0":
            checks.append(f"ours and spm_encode DIFFER on some lines: {line}")

    bdn = {} if args.no_bdn else benchmark_dotnet(args, spm, hf)

    def bd(cls, method, model, c):
        return bdn.get((cls, method, model, c))

    rows = []
    for c in CORPORA:
        r, mb = sp_rows[c], sizes[c] / 1e6
        ours_in, ours_sample, ours_json = (bd("SentencePieceBenchmarks", m, "spm32k-zh", c) for m in ("EncodeLines", "SampleLines", "EncodeLinesTokenizerJson"))
        ours_str, ml = (bd("MlPeerBenchmarks", m, "spm32k-zh", c) for m in ("OursStringLines", "MlStringLines"))
        rows += [
            [c, "ours, CLI `.model` (whole process)", fmt(mb / r["t_ours"]), f"{r['n_ours']:,}", fmt(sizes[c] / r["n_ours"], 2), f"{r['m_ours']:.0f} MB", f"**{r['t_spm'] / r['t_ours']:.2f}** vs spm_encode"],
            [c, "spm_encode (whole process)", fmt(mb / r["t_spm"]), f"{r['n_spm']:,}", fmt(sizes[c] / r["n_spm"], 2), f"{r['m_spm']:.0f} MB", ""],
            [c, "ours, in-process (BenchmarkDotNet)", fmt(ours_in), "", "", "—", f"**{ours_in / r['py']:.2f}** vs python" if ours_in else ""],
            [c, "python3-sentencepiece, in-process", fmt(r["py"]), f"{r['n_py']:,}", fmt(sizes[c] / r["n_py"], 2), "—", ""],
            [c, "ours, sampling a=0.1, in-process (BenchmarkDotNet)", fmt(ours_sample), "", "", "—", f"**{ours_sample / r['py_sample']:.2f}** vs python" if ours_sample else ""],
            [c, "python3-sentencepiece, sampling a=0.1", fmt(r["py_sample"]), "", "", "—", ""],
            [c, "ours, tokenizer.json, in-process (BenchmarkDotNet)", fmt(ours_json), "", "", "—", f"**{ours_json / r['hf']:.2f}** vs HF" if ours_json else ""],
            [c, "HF tokenizers (Node), in-process, encodeBatch, 1 thread", fmt(r["hf"]), f"{r['n_hf']:,}", fmt(sizes[c] / r["n_hf"], 2), "—", ""],
            [c, "ours, CLI tokenizer.json (whole process)", fmt(mb / r["t_json"]), f"{r['n_json']:,}", fmt(sizes[c] / r["n_json"], 2), f"{r['m_json']:.0f} MB", ""],
            [c, "ours, string to id list, in-process (BenchmarkDotNet)", fmt(ours_str), "", "", "—", f"**{ours_str / ml:.2f}** vs ML.Tokenizers" if ours_str and ml else ""],
            [c, "Microsoft.ML.Tokenizers 3.0.0, string to id list, in-process (BenchmarkDotNet)", fmt(ml), "", "", "—", f"{ours_in / ml:.2f} (ours from UTF-8)" if ours_in and ml else ""],
        ]
    out += ["", "### SentencePiece Unigram 32k (trained on zh by spm_train), a sentence per line, one thread", "",
            table(["text", "side", "MB/s", "tokens", "bytes/token", "peak RSS", "ours/peer"], rows)]

    rows = []
    for (size, c), r in bp_rows.items():
        mb = sizes[c] / 1e6
        enc, smp = bd("EncodeBenchmarks", "EncodeBytes", size, c), bd("EncodeBenchmarks", "SampleBytes", size, c)
        rows.append([f"{size} {c}", fmt(mb / r["t"]), f"{r['n']:,}", fmt(sizes[c] / r["n"], 2), f"{r['m']:.0f} MB",
                     f"{sp_rows[c]['t_spm'] / r['t']:.2f}", fmt(enc), fmt(smp), fmt(smp / enc, 2) if enc and smp else "—"])
    out += ["", "### BytePiece models (upstream eu.plus 40k and 160k, as `.bpm`), one thread", "",
            "CLI = `bytepiece encode --threads 1` (whole process); in-process = BenchmarkDotNet `EncodeBytes` / `SampleBytes` "
            "(a=0.1). The ratio is against spm_encode on the same text with the 32k SentencePiece model: another model, so an engine-speed comparison.", "",
            table(["model, text", "CLI MB/s", "tokens", "bytes/token", "peak RSS", "CLI / spm_encode", "in-process MB/s", "sampling MB/s", "sampling / Viterbi"], rows)]

    mb = os.path.getsize(big) / 1e6
    out += ["", f"### Two threads: {mb:.0f} MB (mixed text repeated) to bin32, BytePiece 40k", "",
            table(["side", "threads", "MB/s", "tokens", "peak RSS", "speed-up"], [
                ["ours, CLI", 1, fmt(mb / threads[1][0]), f"{threads[1][2]:,}", f"{threads[1][1]:.0f} MB", "1.00"],
                ["ours, CLI", 2, fmt(mb / threads[2][0]), f"{threads[2][2]:,}", f"{threads[2][1]:.0f} MB", f"**{threads[1][0] / threads[2][0]:.2f}**"],
                ["spm_encode (32k spm model, ids as text)", 1, fmt(mb / t_spm_big), f"{count_words(f'{work}/big-spm.ids'):,}", f"{m_spm_big:.0f} MB", ""],
                ["the machine's bound: two independent 1-thread `bytepiece` processes at once", "2 × 1", fmt(2 * mb / pair), "", "", f"{2 * threads[1][0] / pair:.2f}"],
                ["the same for spm_encode (mixed.txt)", "2 × 1", fmt(2 * sizes["mixed"] / 1e6 / spm_pair), "", "", f"{2 * t_spm_small / spm_pair:.2f}"],
            ])]
    out += ["", "### Microsoft.ML.Tokenizers 3.0.0 and ours against spm_encode, the 32k zh model (lines whose ids differ)", "",
            "| model | text | lines | ours ≠ spm_encode | ML ≠ spm_encode | ML's, by cause |", "|---|---|---:|---:|---:|---|"] + parity_rows
    out += ["", "Checks (outputs that must be identical):", ""] + [f"- {line}" for line in checks]
    out += ["", f"Total time of the comparison: {(time.time() - began) / 60:.1f} minutes."]
    text = "\n".join(out) + "\n"
    open(f"{work}/compare.md", "w").write(text)
    print(text)
    if any("DIFFER" in line or "DISAGREE" in line for line in checks):
        sys.exit("outputs that must be identical are not")


if __name__ == "__main__":
    main()
