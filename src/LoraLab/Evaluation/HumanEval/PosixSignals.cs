using System.Runtime.InteropServices;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>kill(2), to kill a sandboxed program's whole process group.</summary>
internal static partial class PosixSignals
{
    public const int SigKill = 9;

    /// <summary>Sends SIGKILL to every process of process group <paramref name="pgid"/>; false if there is none.</summary>
    public static bool KillGroup(int pgid) => pgid > 1 && Kill(-pgid, SigKill) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
