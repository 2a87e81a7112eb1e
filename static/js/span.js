// A span of time in days, hours and minutes, for the console's projected end (issue 14, defect 8):
// "trễ 3 ngày 2 giờ 5 phút" rather than "trễ 4445 phút". `words` holds the templates of each
// unit in the viewer's language, e.g. {days: "{n} ngày", hours: "{n} giờ", minutes: "{n} phút"}.

export function spanParts(totalMinutes) {
  const whole = Math.round(Math.abs(Number(totalMinutes) || 0));
  return { days: Math.floor(whole / 1440), hours: Math.floor((whole % 1440) / 60), minutes: whole % 60 };
}

export function spanText(totalMinutes, words) {
  const parts = spanParts(totalMinutes);
  const say = (unit) => (words[unit] || "{n}").replace("{n}", String(parts[unit]));
  const shown = ["days", "hours", "minutes"].filter((unit) => parts[unit] > 0);
  if (!shown.length) return say("minutes");
  return shown.map(say).join(" ");
}
