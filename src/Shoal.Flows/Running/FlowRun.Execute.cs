namespace Shoal.Flows;

/// <summary>The life of one task run: trigger, concurrency slots, cache, attempts, timeouts, records, hooks.</summary>
internal sealed partial class FlowRun
{
    private static readonly string WorkerKilled = "Shoal.WorkerKilledException";
    private static readonly string CooperativeTimeout = typeof(FlowTaskTimeoutException).FullName!;
    private static readonly string HardTimeout = typeof(FlowTaskHardTimeoutException).FullName!;

    private async Task ExecuteAsync<TResult>(TaskRun<TResult> run, FlowTask task, TaskRun[] inputs, TaskRun[] upstream,
        Func<Func<SubmitOptions, Future<TResult>>> body, Func<CancellationToken, Task<(object?, Type)[]>> inputValues)
    {
        var attempts = 0;
        try
        {
            if (upstream.Length > 0) await Task.WhenAll(upstream.Select(u => u.Settled)).WaitAsync(Token).ConfigureAwait(false);
            if (TriggerBlocks(task.Options.Trigger, upstream, inputs) is { } blocked)
            {
                Finish(run, task, RunState.Failed, blocked.Error, blocked.Cause, attempts);
                return;
            }

            using var slots = await Runner.AcquireSlotsAsync(task.Options.Tags, Token).ConfigureAwait(false);
            string? cacheKey = null;
            var options = task.Options;
            if (options.CacheExpiry is not null)
            {
                cacheKey = CacheKeys.For(task, await inputValues(Token).ConfigureAwait(false));
                var (found, value) = await Runner.Results.TryReadAsync<TResult>(cacheKey, Now, Token).ConfigureAwait(false);
                if (found)
                {
                    run.Local = (true, value);
                    Log("Info", $"{run.Name}: cache hit ({cacheKey})", run.Id);
                    Finish(run, task, RunState.Cached, null, null, attempts);
                    return;
                }
            }

            var lost = 0;
            var submit = body();
            while (true)
            {
                attempts++;
                var outcome = await AttemptAsync(run, task, submit, attempts).ConfigureAwait(false);
                if (outcome is null)
                {
                    if (cacheKey is not null || options.PersistResult)
                    {
                        var value = await run.Future!.ResultAsync(Token).ConfigureAwait(false);
                        var expires = options.CacheExpiry is { } expiry ? Now + expiry : (DateTimeOffset?)null;
                        await Runner.Results.WriteAsync(cacheKey ?? run.Id.ToString("N"), value, expires, Token).ConfigureAwait(false);
                    }

                    Finish(run, task, RunState.Completed, null, null, attempts);
                    return;
                }

                var (state, error, cause, retry) = outcome.Value;
                if (state == RunState.Crashed && lost < Runner.Options.LostWorkerRetries)
                {
                    lost++;
                    SetState(run, RunState.Retrying, error, cause, attempts);
                    Log("Warning", $"{run.Name}: its workers were lost ({error}); submitting it again (lost-worker retry {lost} of {Runner.Options.LostWorkerRetries})", run.Id);
                    continue;
                }

                var failures = attempts - lost;
                if (retry && failures <= options.Retries)
                {
                    var delay = options.RetryDelay * Math.Pow(options.RetryBackoff, failures - 1);
                    SetState(run, RunState.Retrying, error, cause, attempts);
                    Log("Warning", $"{run.Name}: attempt {attempts} failed ({error}); retry {failures} of {options.Retries} in {delay}", run.Id);
                    if (delay > TimeSpan.Zero) await Task.Delay(delay, Runner.Options.TimeProvider, Token).ConfigureAwait(false);
                    continue;
                }

                Finish(run, task, state, error, cause, attempts);
                return;
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            Finish(run, task, RunState.Cancelled, "the flow run was cancelled", null, attempts);
        }
        catch (Exception ex)
        {
            Finish(run, task, RunState.Crashed, ex.Message, ex.GetType().FullName, attempts);
        }
        finally
        {
            TaskLogsComplete(run);
            Settled();
        }
    }

    /// <summary>One submission: null when it succeeded, else its final state, error, cause and whether retries apply.</summary>
    private async Task<(RunState State, string Error, string? Cause, bool Retry)?> AttemptAsync<TResult>(TaskRun<TResult> run, FlowTask task, Func<SubmitOptions, Future<TResult>> submit, int attempt)
    {
        await inCluster.WaitAsync(Token).ConfigureAwait(false);
        Future<TResult>? future = null;
        try
        {
            SetState(run, RunState.Running, null, null, attempt);
            future = submit(new SubmitOptions
            {
                Key = $"{task.Name}-{run.Id:N}-{attempt}",
                Pure = false,
                Priority = run.Depth,
                Resources = Runner.ResourcesFor(task.Options.Tags),
            });
            await WhenDoneAsync(future).ConfigureAwait(false);
            switch (future.Status)
            {
                case FutureStatus.Finished:
                    run.Future?.Dispose();
                    run.Future = future;
                    future = null;
                    return null;
                case FutureStatus.Cancelled:
                    return (RunState.Cancelled, "its task was cancelled in the cluster", null, false);
            }

            try
            {
                await future.ResultAsync(Token).ConfigureAwait(false);
                return (RunState.Crashed, "the cluster reported an error but returned a result", null, false);
            }
            catch (TaskException ex)
            {
                return await ClassifyAsync(task, ex).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested && future is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Client.CancelAsync(future, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the scheduler did not confirm in time; the run is cancelled here anyway
            }

            throw;
        }
        finally
        {
            future?.Dispose();
            inCluster.Release();
        }
    }

    /// <summary>
    /// Waits for a future's task to end without fetching its result: in-process (values are
    /// references) awaiting the result is the cheapest wait; across processes the result stays on
    /// its worker until a downstream task or the flow asks for it.
    /// </summary>
    private async Task WhenDoneAsync<TResult>(Future<TResult> future)
    {
        if (Client.ByReference)
        {
            try
            {
                await future.ResultAsync(Token).ConfigureAwait(false);
            }
            catch (Exception) when (!Token.IsCancellationRequested && future.Status != FutureStatus.Pending)
            {
                // failed or cancelled: the caller reads the status
            }

            return;
        }

        await foreach (var _ in Client.AsCompleted([future], Token).ConfigureAwait(false)) break;
    }

    private async Task<(RunState, string, string?, bool)> ClassifyAsync(FlowTask task, TaskException ex)
    {
        var message = ex.RemoteMessage;
        if (ex.RemoteTypeName == WorkerKilled) return (RunState.Crashed, message, ex.RemoteTypeName, false);
        if (ex.RemoteTypeName == CooperativeTimeout) return (RunState.TimedOut, message, "cooperative timeout: the task stopped at its cancellation token", false);
        if (ex.RemoteTypeName == HardTimeout) return (RunState.TimedOut, message, "hard timeout: " + await ReplaceWorkerAsync(message, ex.Worker).ConfigureAwait(false), false);
        var error = new TaskError(ex.RemoteTypeName, message);
        var retry = task.Options.RetryOn?.Invoke(error) ?? true;
        return (RunState.Failed, $"{ex.RemoteTypeName}: {message}", ex.RemoteTypeName, retry);
    }

    private static (string Error, string Cause)? TriggerBlocks(TaskTrigger trigger, TaskRun[] upstream, TaskRun[] inputs)
    {
        var failed = upstream.FirstOrDefault(u => !u.State.IsSuccess());
        var failedInput = inputs.FirstOrDefault(u => !u.State.IsSuccess());
        return trigger switch
        {
            TaskTrigger.AllSucceeded when failed is not null => ($"upstream run {failed.Name} ended {failed.State}", "trigger AllSucceeded not met"),
            TaskTrigger.AnyFailed when failed is null && upstream.Length > 0 => ("every upstream run succeeded", "trigger AnyFailed not met"),
            _ when failedInput is not null => ($"input {failedInput.Name} ended {failedInput.State}: it has no result to give", "an input failed"),
            _ => null,
        };
    }

    private void SetState(TaskRun run, RunState state, string? error, string? cause, int attempts)
    {
        run.SetState(state, error, cause);
        Record(new RunEvent.TaskRunState(run.Id, state, error, cause, attempts, Now));
    }

    private void Finish(TaskRun run, FlowTask task, RunState state, string? error, string? cause, int attempts)
    {
        if (!state.IsSuccess()) Log(state == RunState.Cancelled ? "Warning" : "Error", $"{run.Name}: {state}: {error}" + (cause is null ? "" : $" ({cause})"), run.Id);
        Record(new RunEvent.TaskRunState(run.Id, state, error, cause, attempts, Now));
        var hook = state.IsSuccess() ? task.Options.OnCompletion : task.Options.OnFailure;
        run.SetState(state, error, cause);
        if (hook is not null) _ = RunHookAsync(hook, new TaskRunInfo(Id, run.Id, run.Name, state, error, cause));
    }

    private async Task RunHookAsync(Func<TaskRunInfo, Task> hook, TaskRunInfo info)
    {
        try
        {
            await hook(info).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log("Error", $"{info.Name}: its {(info.State.IsSuccess() ? "completion" : "failure")} hook threw {ex.GetType().Name}: {ex.Message}", info.TaskRunId);
        }
    }
}
