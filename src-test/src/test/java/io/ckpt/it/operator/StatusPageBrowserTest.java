package io.ckpt.it.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ckpt.it.Cli;
import io.ckpt.testkit.ServerProcess;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in headless Chromium (Debian's chromium and chromium-driver; .ci/run
 * installs them): a server holding three WPARs, the LKG marker on the right checkpoint, what
 * retention removes next, and a screenshot that is not blank. A missing browser fails the test.
 */
class StatusPageBrowserTest {
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final List<Path> CHROMIUM = List.of(Path.of("/usr/lib/chromium/chromium"), Path.of("/usr/bin/chromium"));

    @Test
    void statusPageMarksEachWparsLastKnownGoodAndRendersAScreenshot(@TempDir Path dir) throws Exception {
        Path chromium = CHROMIUM.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (chromium == null || !Files.isExecutable(CHROMEDRIVER)) {
            fail("headless Chromium is needed for this test and is missing (" + CHROMEDRIVER + ", " + CHROMIUM
                    + "): apt-get install chromium chromium-driver (.ci/run does this when they are missing)");
        }
        Path config = Files.writeString(dir.resolve("server.yaml"), """
                retention:
                  wpars:
                    - match: "web*"
                      policy: { keep-last: 2 }
                placement:
                  - match: web01
                    primary: nodeA
                    backup: nodeB
                """);
        try (ServerProcess server = ServerProcess.on(dir.resolve("datastore")).args("--config", config.toString()).start()) {
            Cli ckpt = Cli.against(server);
            Instant t0 = Instant.now().minus(Duration.ofHours(6)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            List<Long> web = new ArrayList<>();
            List<Long> db = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Path img = Files.writeString(dir.resolve("img" + i), "state " + i + "\n".repeat(1000 * (i + 1)));
                String at = t0.plus(Duration.ofHours(i)).toString();
                web.add(ckpt.run("push", "--wpar", "web01", "--taken-at", at, "--json", img.toString()).assertOk().json()
                        .path("id").asLong());
                db.add(ckpt.run("push", "--wpar", "db01", "--taken-at", at, "--json", img.toString()).assertOk().json()
                        .path("id").asLong());
            }
            ckpt.run("push", "--wpar", "app01", dir.resolve("img0").toString()).assertOk();
            ckpt.run("mark-good", web.get(1).toString()).assertOk(); // web01: LKG is the second, not the newest
            ckpt.run("mark-bad", web.get(3).toString()).assertOk();
            ckpt.run("mark-good", db.get(3).toString()).assertOk();
            ckpt.run("protect", db.get(0).toString()).assertOk();

            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,900");
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort().build();
            ChromeDriver browser = new ChromeDriver(service, options);
            try {
                browser.get("http://127.0.0.1:" + server.httpPort() + "/");
                new WebDriverWait(browser, Duration.ofSeconds(20)).until(
                        d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-loaded")));

                assertEquals(List.of(web.get(1).toString()), ids(browser, "tr[data-wpar='web01'] .cp.lkg"));
                assertEquals(List.of(db.get(3).toString()), ids(browser, "tr[data-wpar='db01'] .cp.lkg"));
                assertEquals(List.of(), ids(browser, "tr[data-wpar='app01'] .cp.lkg"), "app01 has no good checkpoint");
                assertEquals(4, ids(browser, "tr[data-wpar='web01'] .cp").size());
                assertEquals(List.of(db.get(0).toString()), ids(browser, "tr[data-wpar='db01'] .cp.protected"));
                // keep-last 2 keeps the two newest; the LKG is always kept: only the first goes.
                assertEquals(List.of(web.get(0).toString()), ids(browser, "tr[data-wpar='web01'] .cp.remove"));
                assertEquals(List.of(web.get(3).toString()), ids(browser, "tr[data-wpar='web01'] .cp.bad"));
                String row = browser.findElement(By.cssSelector("tr[data-wpar='web01']")).getText();
                assertTrue(row.contains("nodeB"), "backup host shown: " + row);

                byte[] png = browser.getScreenshotAs(OutputType.BYTES);
                Path shot = Path.of("target", "status-page.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, png);
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
                assertTrue(image != null && image.getWidth() > 100 && image.getHeight() > 100, "screenshot is a PNG");
                Set<Integer> colours = new HashSet<>();
                for (int y = 0; y < image.getHeight(); y += 3) {
                    for (int x = 0; x < image.getWidth(); x += 3) {
                        colours.add(image.getRGB(x, y));
                    }
                }
                assertTrue(colours.size() > 10, "screenshot " + shot.toAbsolutePath() + " is blank: " + colours.size()
                        + " colour(s)");
            } finally {
                browser.quit();
            }
        }
    }

    private static List<String> ids(ChromeDriver browser, String css) {
        return browser.findElements(By.cssSelector(css)).stream().map(e -> e.getDomAttribute("data-checkpoint-id"))
                .toList();
    }
}
