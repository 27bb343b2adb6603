using System.Collections.Concurrent;
using System.Reflection;

namespace Shoal.Serialization;

/// <summary>How a function's return value becomes the task's result.</summary>
internal enum ResultKind { Value, Void, Task, TaskOfT, ValueTask, ValueTaskOfT }

/// <summary>Awaits Task / Task&lt;T&gt; / ValueTask / ValueTask&lt;T&gt; results into <c>Task&lt;object?&gt;</c>.</summary>
internal static class TaskResults
{
    private static readonly TypeCache<Func<object, Task<object?>>> Awaiters = new();

    public static (ResultKind Kind, Type ResultType) Classify(Type returnType)
    {
        if (returnType == typeof(void)) return (ResultKind.Void, typeof(void));
        if (returnType == typeof(Task)) return (ResultKind.Task, typeof(void));
        if (returnType == typeof(ValueTask)) return (ResultKind.ValueTask, typeof(void));
        if (returnType.IsConstructedGenericType)
        {
            var def = returnType.GetGenericTypeDefinition();
            if (def == typeof(Task<>)) return (ResultKind.TaskOfT, returnType.GetGenericArguments()[0]);
            if (def == typeof(ValueTask<>)) return (ResultKind.ValueTaskOfT, returnType.GetGenericArguments()[0]);
        }
        return (ResultKind.Value, returnType);
    }

    public static Task<object?> Unwrap(object? result, ResultKind kind, Type returnType)
    {
        switch (kind)
        {
            case ResultKind.Value: return Task.FromResult(result);
            case ResultKind.Void: return Task.FromResult<object?>(null);
            case ResultKind.Task:
                var task = (Task)result!;
                return task.IsCompletedSuccessfully ? Task.FromResult<object?>(null) : AwaitTask(task);
            case ResultKind.ValueTask:
                return AwaitValueTask((ValueTask)result!);
            default:
                if (result is null) return Task.FromException<object?>(new InvalidOperationException("the task's function returned a null Task"));
                return Awaiters.GetOrAdd(returnType, static t =>
                {
                    var (k, arg) = Classify(t);
                    var name = k == ResultKind.TaskOfT ? nameof(AwaitTaskOf) : nameof(AwaitValueTaskOf);
                    return typeof(TaskResults).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!
                        .MakeGenericMethod(arg).CreateDelegate<Func<object, Task<object?>>>();
                })(result);
        }
    }

    private static async Task<object?> AwaitTask(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private static async Task<object?> AwaitValueTask(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private static Task<object?> AwaitTaskOf<T>(object task)
    {
        var typed = (Task<T>)task;
        return typed.IsCompletedSuccessfully ? Task.FromResult<object?>(typed.Result) : Await(typed);

        static async Task<object?> Await(Task<T> t) => await t.ConfigureAwait(false);
    }

    private static async Task<object?> AwaitValueTaskOf<T>(object task) => await ((ValueTask<T>)task).ConfigureAwait(false);
}
