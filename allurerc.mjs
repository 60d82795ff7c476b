// Allure 3 report configuration (a plain object: importing defineConfig from "allure" runs the CLI).
export default {
  name: "cutover-monitor: 24-hour post-cutover checklist",
  output: "./reports/allure-report",
  historyPath: "./reports/allure-history/history.jsonl",
  plugins: {
    awesome: {
      options: {
        reportName: "cutover-monitor",
        singleFile: false,
        groupBy: ["parentSuite", "suite", "subSuite"],
      },
    },
  },
};
