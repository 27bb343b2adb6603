namespace Shoal.Scheduling;

internal sealed partial class SchedulerState
{
    /// <summary>
    /// A client asks for erred tasks to run again (Dask's <c>retry</c>): each erred key it wants, and every erred
    /// dependency that key's error came from (transitively), goes back to released and then waiting, with its
    /// lost-worker count reset (retries left stay as they are); the failing roots are placed again and their dependents follow. Keys
    /// that are not erred, not known, or not wanted by this client are left alone. Other erred dependents of the
    /// roots stay erred (their clients retry them if they want). With <paramref name="retries"/>, every task run again
    /// may fail that many more times before it errs (the count a submission's <c>retries</c> sets).
    /// </summary>
    public void RetryKeys(int client, IReadOnlyList<string> keys, double now, int? retries = null)
    {
        Stimulus(StoryCause.KeysRetried, now);
        var again = new List<int>();
        var seen = new HashSet<int>();
        var walk = new Stack<int>();
        for (int k = 0; k < keys.Count; k++)
        {
            if (!_keyIndex.TryGetValue(keys[k], out int root) || _tasks[root].State != TaskState.Erred || !Wants(root, client)) continue;
            again.Add(root);
            walk.Push(root);
            while (walk.Count > 0)
            {
                int t = walk.Pop();
                if (!seen.Add(t)) continue;
                _errors.Remove(t);
                _failures.Remove(t);
                if (retries is { } n) _tasks[t].Retries = n;
                SetState(t, TaskState.Released);
                var deps = _tasks[t].Dependencies;
                for (int i = 0; i < deps.Length; i++)
                {
                    if (_tasks[deps[i]].State == TaskState.Erred) walk.Push(deps[i]);
                }
            }
        }

        // Waiting from the requested keys down: MakeWaiting brings back the released dependencies it meets.
        foreach (int t in again) MakeWaiting(t);
        Settle();
    }
}
