using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Shoal.Dashboard;

/// <summary>
/// Credentials of the dashboard off loopback. Everything derives from one 32-byte key: bearer
/// tokens per role (<c>shoal-dash.ROLE.MAC</c>, for tools and Prometheus), and one-time sign-in
/// codes (<c>ROLE.EXPIRY.NONCE.MAC</c>) that a browser exchanges once for a session cookie. The
/// key is derived from the cluster's client key when the cluster uses tokens, so whoever holds the
/// client token (the user's own programs, <c>shoal dashboard-link</c>) can mint a link without
/// asking the scheduler; otherwise it is random and only the scheduler mints links.
/// </summary>
internal sealed class DashboardCredentials
{
    private const int MaxSessions = 1024;
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _usedNonces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DashboardRole Role, DateTimeOffset Expires)> _sessions = new(StringComparer.Ordinal);

    public DashboardCredentials(byte[] key, TimeProvider? time = null)
    {
        if (key.Length < 16) throw new ArgumentException("the dashboard key must have at least 16 bytes", nameof(key));
        _key = key;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The dashboard key of a cluster: from its client key when it has tokens, else random.</summary>
    public static DashboardCredentials For(SecurityOptions? security, TimeProvider? time = null) =>
        new(KeyFrom(security) ?? RandomNumberGenerator.GetBytes(32), time);

    /// <summary>The dashboard key derivable from these credentials (a cluster secret or a client token), null when none.</summary>
    public static byte[]? KeyFrom(SecurityOptions? security)
    {
        var clientKey = security?.Token?.KeyFor(Protocol.Messages.Role.Client);
        return clientKey is null ? null : HMACSHA256.HashData(clientKey, "shoal-dashboard-key"u8);
    }

    /// <summary>The bearer token of a role.</summary>
    public string BearerToken(DashboardRole role) => $"shoal-dash.{Name(role)}.{Mac("bearer:" + Name(role))}";

    /// <summary>The role a bearer token proves, null when it proves none.</summary>
    public DashboardRole? CheckBearer(string token)
    {
        foreach (var role in new[] { DashboardRole.Admin, DashboardRole.Viewer })
        {
            if (FixedEquals(token, BearerToken(role))) return role;
        }

        return null;
    }

    /// <summary>A new one-time sign-in code for <paramref name="role"/>, valid for <paramref name="lifetime"/>.</summary>
    public string NewCode(DashboardRole role, TimeSpan lifetime)
    {
        var expires = (_time.GetUtcNow() + lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var body = $"{Name(role)}.{expires}.{nonce}";
        return $"{body}.{Mac("code:" + body)}";
    }

    /// <summary>Takes a code: its role when it is genuine, unexpired and not used before (it is then used up), else null.</summary>
    public DashboardRole? RedeemCode(string code)
    {
        var parts = code.Split('.');
        if (parts.Length != 4) return null;
        var body = $"{parts[0]}.{parts[1]}.{parts[2]}";
        if (!FixedEquals(parts[3], Mac("code:" + body))) return null;
        if (!TryParseRole(parts[0], out var role)) return null;
        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return null;
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (now > expires) return null;
        foreach (var (nonce, until) in _usedNonces)
        {
            if (until < now) _usedNonces.TryRemove(nonce, out _);
        }

        return _usedNonces.TryAdd(parts[2], expires) ? role : null;
    }

    /// <summary>Opens a browser session: the cookie's value.</summary>
    public string OpenSession(DashboardRole role, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var (id, s) in _sessions)
            {
                if (s.Expires < now) _sessions.TryRemove(id, out _);
            }

            // Still full: the oldest go, so sign-ins never grow the scheduler's memory without bound.
            foreach (var old in _sessions.OrderBy(p => p.Value.Expires).Take(_sessions.Count - MaxSessions + 1).ToArray()) _sessions.TryRemove(old.Key, out _);
        }

        var session = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[session] = (role, now + lifetime);
        return session;
    }

    /// <summary>The role of a session cookie, null when unknown or expired.</summary>
    public DashboardRole? CheckSession(string session) =>
        _sessions.TryGetValue(session, out var s) && s.Expires >= _time.GetUtcNow() ? s.Role : null;

    private string Mac(string what) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(what))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string Name(DashboardRole role) => role == DashboardRole.Admin ? "admin" : "viewer";

    private static bool TryParseRole(string name, out DashboardRole role)
    {
        role = name == "admin" ? DashboardRole.Admin : DashboardRole.Viewer;
        return name is "admin" or "viewer";
    }
}
