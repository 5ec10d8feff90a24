// The web page in a real headless Chromium: log in, watch instances live, scale, kill, roll back; and read it with scripting off.
package dev.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.DeployRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A user's path through the page, in Debian's headless Chromium against a real server and platform
 * (process backend, busybox httpd instances that listen {@value WebFixture#READY_AFTER_SECONDS} s
 * after they start). "Live" is checked by a mark set on the page after it loaded: a reload would
 * drop it, so a change seen with the mark still there came through the event stream.
 */
class WebPageIT {
    @TempDir
    Path tmp;
    private WebFixture web;
    private ChromeDriver browser;

    @BeforeEach
    void start() {
        web = new WebFixture(tmp);
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        web.close();
    }

    private void logIn(String token) {
        browser.get(web.server.url() + "/");
        assertThat(browser.getCurrentUrl()).endsWith("/login");
        WebElement field = browser.findElement(By.id("token"));
        assertThat(browser.switchTo().activeElement()).isEqualTo(field); // the form is ready for the keyboard
        field.sendKeys(token, Keys.ENTER);
        waitFor(Duration.ofSeconds(10), () -> browser.getCurrentUrl().equals(web.server.url() + "/"));
    }

    private List<WebElement> rows(String state) {
        return browser.findElements(By.cssSelector("#instances tr[data-state='" + state + "']"));
    }

    /** Marks the page: the mark survives live updates and is gone after a reload or navigation. */
    private void mark() {
        browser.executeScript("window.berthMark = 'live';");
    }

    private boolean marked() {
        return "live".equals(browser.executeScript("return window.berthMark;"));
    }

    private void waitFor(Duration atMost, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, atMost, Duration.ofMillis(100))
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class) // a live update replaced what was read
                .until(d -> condition.getAsBoolean());
    }

    @Test
    void logInWatchInstancesLiveScaleKillAndRollBack() throws Exception {
        String r1 = web.deploy(3, "one");
        String r2 = web.deploy(3, "two");
        browser = Browser.open(tmp.resolve("chrome"), true);
        logIn(WebFixture.ADMIN);
        waitFor(Duration.ofSeconds(10), () -> browser.findElement(By.linkText("web")).isDisplayed());
        Browser.screenshot(browser, "apps");

        browser.findElement(By.linkText("web")).click();
        waitFor(Duration.ofSeconds(10), () -> rows("HEALTHY").size() == 3);
        assertThat(browser.findElements(By.cssSelector("#instances tbody tr"))).hasSize(3);

        // scale to 5 with the form: the page comes back at once, the 2 new instances get ready on it live
        WebElement count = browser.findElement(By.id("scale-count"));
        count.clear();
        count.sendKeys("5");
        browser.findElement(By.xpath("//button[text()='Scale']")).click();
        waitFor(Duration.ofSeconds(10), () -> browser.getCurrentUrl().endsWith("?done=scaled"));
        mark();
        assertThat(rows("HEALTHY")).as("the new instances are not ready yet").hasSizeLessThan(5);
        waitFor(Duration.ofSeconds(60), () -> rows("HEALTHY").size() == 5);
        assertThat(marked()).as("the instances appeared without a reload").isTrue();
        Browser.screenshot(browser, "app-scaled");

        // kill one: it is respawned (same id, one more restart) and ready again, seen live
        String[] picked = new String[1];
        waitFor(Duration.ofSeconds(10), () -> { // the row is found again when a live update replaced it meanwhile
            WebElement first = browser.findElement(By.cssSelector("#instances tbody tr"));
            picked[0] = first.getAttribute("data-instance");
            first.findElement(By.xpath(".//button[starts-with(normalize-space(.), 'Kill')]")).click();
            return true;
        });
        String id = picked[0];
        waitFor(Duration.ofSeconds(10), () -> browser.getCurrentUrl().endsWith("?done=killed"));
        mark();
        waitFor(Duration.ofSeconds(60), () -> web.platform.instance(id).record().restarts() == 1);
        By killed = By.cssSelector("#instances tr[data-instance='" + id + "']");
        waitFor(Duration.ofSeconds(60), () -> browser.findElement(killed).getAttribute("data-state").equals("HEALTHY")
                && browser.findElement(killed).findElements(By.tagName("td")).get(3).getText().equals("1"));
        assertThat(marked()).as("the respawn was seen without a reload").isTrue();

        // roll back from r2 to r1: the releases table says so, live
        waitFor(Duration.ofSeconds(10), () -> browser.findElement(By.cssSelector("#releases tr[data-release='" + r2 + "']")).getText()
                .contains("(current)"));
        browser.findElement(By.xpath("//button[starts-with(normalize-space(.), 'Roll back')]")).click();
        waitFor(Duration.ofSeconds(10), () -> browser.getCurrentUrl().endsWith("?done=rolledback"));
        mark();
        web.awaitOutcome(r1, DeployRecord.Outcome.SUCCEEDED);
        waitFor(Duration.ofSeconds(60), () -> browser.findElement(By.cssSelector("#releases tbody tr")).getText()
                .contains("(current)") && browser.findElement(By.cssSelector("#releases tbody tr")).getText().contains(r1)
                && rows("HEALTHY").size() == 5 && rows("HEALTHY").stream().allMatch(
                        r -> r.findElements(By.tagName("td")).get(2).getText().equals(r1)));
        assertThat(marked()).isTrue();
        assertThat(web.platform.app("web").release()).isEqualTo(r1);
        Files.copy(Browser.screenshot(browser, "app-rolled-back"), Browser.SCREENSHOTS.resolve("web-page.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        // the nodes page: the one node's CPU as a bar, live
        browser.findElement(By.linkText("Nodes")).click();
        // found afresh at each look: the live stream may swap the fragment between a find and a read
        waitFor(Duration.ofSeconds(30), () -> browser.findElement(By.id("node-local-cpu")).getTagName().equals("meter")
                && browser.findElement(By.cssSelector("label[for='node-local-cpu']")).getText().contains("of 16 allocated"));
        Browser.screenshot(browser, "nodes");
    }

    @Test
    void anInstancesLogsFollowLive() throws Exception {
        web.deploy(1, "one");
        String id = web.platform.instances("web").get(0).id();
        browser = Browser.open(tmp.resolve("chrome"), true);
        logIn(WebFixture.READ);
        browser.get(web.server.url() + "/instances/" + id + "/logs");
        waitFor(Duration.ofSeconds(10), () -> browser.findElement(By.id("log")).getText().contains("started " + id));
        mark();
        web.platform.exec(id, List.of("sh", "-c", "echo a-new-line-from-exec > /proc/1/fd/1 || true"));
        web.platform.instance(id).restart(); // a respawn writes its first line again: the follow goes on across it
        waitFor(Duration.ofSeconds(60), () -> browser.findElement(By.id("log")).getText().split("started " + id, -1).length >= 3);
        assertThat(marked()).isTrue();
        // every line, the followed ones too, is text in a line of its own: markup in a log is never markup on the page
        String text = browser.findElement(By.id("log")).getText();
        assertThat(text.split("<script>alert\\(1\\)</script> started " + id, -1)).hasSizeGreaterThanOrEqualTo(3);
        assertThat(browser.findElements(By.cssSelector("#log script"))).isEmpty();
        assertThat(browser.findElements(By.cssSelector("#log > :not(noscript)")))
                .allSatisfy(e -> assertThat(e.getAttribute("class")).isEqualTo("line"));
        Browser.screenshot(browser, "logs");
    }

    @Test
    void withScriptingOffThePageReadsAndItsFormsWork() throws Exception {
        web.deploy(3, "one");
        browser = Browser.open(tmp.resolve("chrome"), false);
        logIn(WebFixture.ADMIN);
        browser.findElement(By.tagName("body")).sendKeys(Keys.TAB); // the keyboard's first stop skips to the content
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to the content");
        browser.findElement(By.linkText("web")).click();
        assertThat(browser.findElements(By.cssSelector("#instances tbody tr"))).hasSize(3);
        assertThat(browser.findElements(By.cssSelector("label[for='scale-count']"))).hasSize(1); // every field has a label
        assertThat(browser.findElements(By.cssSelector("#releases tbody tr"))).hasSize(1);
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("GREETING").doesNotContain(WebFixture.SECRET);
        WebElement count = browser.findElement(By.id("scale-count"));
        count.clear();
        count.sendKeys("4", Keys.ENTER); // the form posts and comes back without any script
        waitFor(Duration.ofSeconds(10), () -> browser.getCurrentUrl().endsWith("?done=scaled"));
        assertThat(web.platform.app("web").spec().instances().count()).isEqualTo(4);
        String id = web.platform.instances("web").get(0).id();
        browser.get(web.server.url() + "/instances/" + id + "/logs");
        assertThat(browser.findElement(By.id("log")).getText()).contains("started " + id);
        Browser.screenshot(browser, "no-scripting");
    }
}
